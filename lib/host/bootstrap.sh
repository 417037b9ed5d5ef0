#!/bin/bash
# altinitycloud-connect host bootstrap: installs altinitycloud-connect, logs in to Altinity.Cloud
# with the connection token (once), runs it as a service and signals CloudFormation.
# The quoted values below are filled in by the stack; nothing secret is ever written here.
set -euo pipefail

STACK_NAME='@@STACK_NAME@@'
REGION='@@REGION@@'
SIGNAL_RESOURCE='@@SIGNAL_RESOURCE@@'
TOKEN_PARAMETER='@@TOKEN_PARAMETER@@'
CERTIFICATE_PARAMETER='@@CERTIFICATE_PARAMETER@@'
CONNECT_VERSION='@@CONNECT_VERSION@@'
DOWNLOAD_URL='@@DOWNLOAD_URL@@'
CONNECT_SHA256='@@CONNECT_SHA256@@'

echo "bootstrap for ${STACK_NAME} in ${REGION}: signal ${SIGNAL_RESOURCE}, token ${TOKEN_PARAMETER}, certificate ${CERTIFICATE_PARAMETER}, altinitycloud-connect ${CONNECT_VERSION} from ${DOWNLOAD_URL} ${CONNECT_SHA256}"
