#!/usr/bin/env bash
# The upstream image's argument rule, nothing more: bash/python run as given, anything else is an
# airflow subcommand (`docker run <image> dags list` runs `airflow dags list`).
set -euo pipefail
case "${1:-}" in
  "") exec airflow --help ;;
  bash | python | python3 | airflow) exec "$@" ;;
  *) exec airflow "$@" ;;
esac
