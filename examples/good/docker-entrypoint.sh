#!/bin/sh
set -e
if [ "${1#-}" != "$1" ]; then
  set -- python app.py "$@"
fi
exec "$@"
