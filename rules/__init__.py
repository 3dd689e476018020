"""entrylint rules: one module per rule."""
