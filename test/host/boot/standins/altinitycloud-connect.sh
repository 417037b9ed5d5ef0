#!/bin/bash
# Stands in for the altinitycloud-connect release binary: the release stand-in serves this script,
# with @@ALTINITY_URL@@ (its built-in Altinity.Cloud, like the real tool's default
# https://anywhere.altinity.cloud) and @@SERVICE@@ filled in, as the download the host installs.
#   altinitycloud-connect login --token=T
#       asks Altinity.Cloud (the built-in URL) to log in with T; on success writes cloud-connect.pem
#       in the current directory and prints nothing, as the real tool does; else fails with its reason.
#   altinitycloud-connect [--url=U] --capability aws -i cloud-connect.pem
#       SERVICE=steady: connects to U (else the built-in URL) with the certificate, then runs until
#       killed. SERVICE=crashing: fails at once, as a tunnel that cannot start does.
set -uo pipefail
ALTINITY_URL='@@ALTINITY_URL@@'
SERVICE='@@SERVICE@@'

log_in() {
  local token='' arg status
  for arg in "$@"; do
    case $arg in --token=*) token=${arg#--token=} ;; esac
  done
  [[ -n $token ]] || { echo 'Error: login needs --token' >&2; return 2; }
  status=$(curl --silent --show-error --output cloud-connect.pem.part --write-out '%{http_code}' \
    --data-urlencode "token=$token" "$ALTINITY_URL/login") || { rm -f cloud-connect.pem.part; echo "Error: cannot reach $ALTINITY_URL" >&2; return 1; }
  if [[ $status != 200 ]]; then
    rm -f cloud-connect.pem.part
    echo "Error: login rejected by Altinity.Cloud: invalid or expired token (HTTP $status)" >&2
    return 1
  fi
  mv cloud-connect.pem.part cloud-connect.pem
}

run_service() {
  local certificate='' url=$ALTINITY_URL capability=''
  while (($# > 0)); do
    case $1 in
      --url=*) url=${1#--url=} ;;
      --capability) capability=${2:-}; shift ;;
      -i) certificate=${2:-}; shift ;;
      *) echo "Error: unknown argument '$1'" >&2; return 2 ;;
    esac
    shift
  done
  [[ $capability == aws ]] || { echo "Error: --capability aws expected, not '$capability'" >&2; return 2; }
  [[ -s $certificate ]] || { echo "Error: no certificate at '$certificate'" >&2; return 1; }
  if [[ $SERVICE == crashing ]]; then
    echo 'Error: tunnel to Altinity.Cloud failed: handshake refused (stand-in set to crash)' >&2
    return 1
  fi
  curl --silent --show-error --fail --cert "$certificate" --key "$certificate" "$url/connect?capability=aws" >/dev/null ||
    { echo "Error: cannot connect to Altinity.Cloud at $url" >&2; return 1; }
  echo "connected to Altinity.Cloud at $url"
  exec sleep infinity
}

case ${1:-} in
  login) shift; log_in "$@" ;;
  --url=* | --capability) run_service "$@" ;;
  *) echo "usage: altinitycloud-connect login --token=T | [--url=U] --capability aws -i cloud-connect.pem" >&2; exit 2 ;;
esac
