#!/bin/sh
set -e
python -m flask --app app db upgrade || true
if [ "$DEBUG" = 1 ]; then
  flask --app app run --host 0.0.0.0
else
  gunicorn --bind 0.0.0.0:8000 app:app
fi
