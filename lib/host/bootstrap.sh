#!/bin/bash
# altinitycloud-connect host bootstrap: run once by cloud-init as root, from the EC2 user data that
# carries this file byte for byte and writes the stack's settings (none of them secret) beside it.
# Installs the AWS CLI and the pinned altinitycloud-connect, logs in to Altinity.Cloud once per
# environment (the certificate is kept in SSM for replacement hosts), runs the tool as a systemd
# service and signals CloudFormation. A failure's reason goes to the log, the console and the
# signal's UniqueId (SignalResource has no reason field).
set -Eeuo pipefail
shopt -s inherit_errexit
umask 077

# The host's own paths; tests point them into a sandbox.
CONFIG_DIR="${BOOTSTRAP_CONFIG_DIR:-/etc/altinitycloud-connect}"
LOG_FILE="${BOOTSTRAP_LOG_FILE:-/var/log/altinitycloud-connect-bootstrap.log}"
BIN_DIR="${BOOTSTRAP_BIN_DIR:-/usr/local/bin}"
SYSTEMD_DIR="${BOOTSTRAP_SYSTEMD_DIR:-/etc/systemd/system}"
IMDS_URL="${BOOTSTRAP_IMDS_URL:-http://169.254.169.254}"
HOSTS_FILE="${BOOTSTRAP_HOSTS_FILE:-/etc/hosts}"
CA_DIR="${BOOTSTRAP_CA_DIR:-/usr/local/share/ca-certificates}"
CA_BUNDLE="${BOOTSTRAP_CA_BUNDLE:-/etc/ssl/certs/ca-certificates.crt}"

# The stack's settings, as the user data wrote them; every one is required (the checksum may be empty).
# shellcheck source=/dev/null
source "$CONFIG_DIR/settings"
: "${STACK_NAME:?}" "${STACK_ID:?}" "${SIGNAL_RESOURCE:?}" "${REGION:?}" "${TOKEN_PARAMETER:?}" "${CERTIFICATE_PARAMETER:?}" \
  "${EXISTING_CERTIFICATE_PARAMETER?}" "${SECRETS_KEY:?}" "${CONNECT_VERSION:?}" "${DOWNLOAD_URL:?}" "${CONNECT_SHA256?}" \
  "${ALTINITY_URL:?}" "${CONNECTION_TIMEOUT:?}" "${HTTPS_PROXY_URL?}" "${NO_PROXY_LIST?}" "${CA_CERTIFICATES?}" "${HOST_ALIASES?}"

# How long the service must stay up before the host reports success.
SETTLE_SECONDS="${BOOTSTRAP_SETTLE_SECONDS:-10}"
# Ubuntu's apt timers may hold the package lists at first boot.
APT_LOCK_PAUSE_SECONDS="${BOOTSTRAP_APT_LOCK_PAUSE_SECONDS:-10}"
# How long a host waits for the certificate that another host of the group is logging in for.
CERTIFICATE_WAIT_SECONDS="${BOOTSTRAP_CERTIFICATE_WAIT_SECONDS:-300}"
CERTIFICATE_POLL_SECONDS="${BOOTSTRAP_CERTIFICATE_POLL_SECONDS:-5}"
# A login claim older than this, or held by an instance that is not running, was abandoned: its host
# died before storing a certificate (a live host finishes, or withdraws its claim, within its deadline).
CLAIM_EXPIRY_SECONDS="${BOOTSTRAP_CLAIM_EXPIRY_SECONDS:-900}"
# CloudFormation waits 15 minutes for the signal: the whole bootstrap ends sooner, with its reason.
DEADLINE_SECONDS="${BOOTSTRAP_DEADLINE_SECONDS:-720}"
# How often to ask Altinity.Cloud whether it sees the environment connected, as its own tooling does.
STATUSCHECK_POLL_SECONDS="${BOOTSTRAP_STATUSCHECK_POLL_SECONDS:-15}"

SERVICE=altinitycloud-connect
WATCH=altinitycloud-connect-watch
CONNECT_BIN="$BIN_DIR/altinitycloud-connect"
CERTIFICATE_FILE="$CONFIG_DIR/cloud-connect.pem"
SCRIPT_FILE=$(readlink -f "${BASH_SOURCE[0]}")
# The watch's last finding: "connected", or "disconnected <epoch> [reported]".
CONNECTION_STATE_FILE="$CONFIG_DIR/connection-state"
# Instance tag where the watch records that finding, for npm run status: no secret needed to read it.
STATE_TAG_KEY='altinity:connect/state'
# The customer's CA, for every HTTPS call and for the tunnel; the proxy, for the service and the watch.
CA_FILE="$CA_DIR/altinity-connect.crt"
NETWORK_ENV_FILE="$CONFIG_DIR/network.env"
# "<version> <sha256>" of the installed binary, so that a re-run downloads nothing.
RELEASE_MARKER="$CONFIG_DIR/installed-release"
# Value of the certificate parameter while one host logs in: hosts starting together log in once.
# A claim reads "login claimed by <instance id> at <epoch seconds>".
CLAIM_PREFIX='login claimed by '
OWNER_TAG_KEY='altinity:connect/stack-id'

# Bounded retries: a host that gets no answer must fail in minutes, not at the stack's timeout.
export AWS_RETRY_MODE=standard AWS_MAX_ATTEMPTS=3

STEP=start
INSTANCE_ID=''
IMDS_TOKEN=''
HOLDS_LOGIN_CLAIM=no
CLOUDFORMATION_REACHABLE=unknown
WORK_DIR=''
DEADLINE_WATCH=''
# Set only between reading the token and logging in; masked in everything the script reports.
TOKEN=''

timestamp() {
  date -u +%Y-%m-%dT%H:%M:%SZ
}

log() {
  printf '%s altinitycloud-connect bootstrap: %s\n' "$(timestamp)" "$*" | tee -a "$LOG_FILE"
}

# Appends a command's output to the log only (the console gets the steps), each line timestamped.
log_output() {
  redact <"$1" | sed -e '/^[[:space:]]*$/d' -e "s/^/$(timestamp)   | /" >>"$LOG_FILE"
}

redact() {
  if [[ -z $TOKEN ]]; then
    cat
    return
  fi
  local text
  text=$(cat)
  printf '%s\n' "${text//"$TOKEN"/(token hidden)}"
}

# Runs a command, keeping its output for the log and a failure reason.
capture() {
  local status=0
  "$@" >"$WORK_DIR/output" 2>&1 || status=$?
  log_output "$WORK_DIR/output"
  return "$status"
}

last_output_line() {
  redact <"$WORK_DIR/output" | grep -v '^[[:space:]]*$' | tail -n 1 | sed 's/^curl: ([0-9]*) //'
}

# The error code of the last captured AWS call (AccessDeniedException, ...), else its last line.
aws_error() {
  local code
  code=$(sed -n 's/.*An error occurred (\([^)]*\)).*/\1/p' "$WORK_DIR/output" | head -n 1)
  printf '%s' "${code:-$(last_output_line)}"
}

host_of() {
  local rest=${1#*://}
  printf '%s' "${rest%%/*}"
}

# fail <code> <summary> [<detail>]: the code is one of HOST_FAILURES (lib/shared/failures.ts), which
# the status command's hints are keyed on; the reason reads "[code] summary".
fail() {
  local summary="[$1] $2" detail=${3:-}
  trap - ERR
  trap '' USR1
  set +e
  log "FAILED at step '$STEP': $summary${detail:+ ($detail)}"
  # The watch runs long after creation: it has nothing to signal and no host to give up.
  [[ $STEP != watch ]] || exit 1
  release_login_claim
  signal_cloudformation FAILURE "$summary"
  leave_auto_scaling_group
  exit 1
}

# A group's host that cannot serve asks to be replaced. A single host is left as it is: CloudFormation
# terminates it when it rolls the stack back, unless rollback is disabled (kept for diagnosis).
leave_auto_scaling_group() {
  [[ $SIGNAL_RESOURCE == HostGroup ]] && command -v aws >/dev/null || return 0
  if capture aws_call autoscaling set-instance-health --instance-id "$INSTANCE_ID" --health-status Unhealthy \
    --no-should-respect-grace-period; then
    log "marked $INSTANCE_ID unhealthy: its Auto Scaling group replaces it"
  else
    log "cannot mark $INSTANCE_ID unhealthy: $(last_output_line)"
  fi
}

on_error() {
  # A failure inside a command substitution is reported by the command that used it.
  ((BASH_SUBSHELL == 0)) || return 0
  fail unexpected "$STEP: line $1" "see $LOG_FILE"
}

# The stack's events show the UniqueId: on failure it carries the reason (at most 64 characters).
signal_cloudformation() {
  local status=$1 unique_id
  unique_id=$(printf '%s' "$2" | tr -c 'A-Za-z0-9 ._:/()=+,@[]-' '-' | cut -c 1-64)
  if ! command -v aws >/dev/null; then
    log "cannot signal $status to CloudFormation: the AWS CLI is not installed; the stack fails when its wait times out"
    return 1
  fi
  if [[ $CLOUDFORMATION_REACHABLE == no ]]; then
    log "cannot signal $status to CloudFormation: its endpoint is unreachable; the stack fails when its wait times out"
    return 1
  fi
  if capture aws_call cloudformation signal-resource --stack-name "$STACK_NAME" \
    --logical-resource-id "$SIGNAL_RESOURCE" --unique-id "$unique_id" --status "$status"; then
    log "signalled $status to $SIGNAL_RESOURCE of stack $STACK_NAME (id '$unique_id')"
    return 0
  fi
  if grep -q 'is in [A-Z_]*COMPLETE state' "$WORK_DIR/output"; then
    log "no signal needed: $SIGNAL_RESOURCE is already complete"
    return 0
  fi
  log "cannot signal $status to CloudFormation: $(last_output_line)"
  return 1
}

aws_call() {
  aws --region "$REGION" --cli-connect-timeout 10 --cli-read-timeout 30 "$@"
}

# Where the AWS CLI sends a service's requests: its endpoint variables, else the regional endpoint.
aws_endpoint() {
  local service=$1 suffix=amazonaws.com override
  [[ $REGION != cn-* ]] || suffix=amazonaws.com.cn
  override="AWS_ENDPOINT_URL_${service^^}"
  printf '%s' "${!override:-${AWS_ENDPOINT_URL:-https://$service.$REGION.$suffix}}"
}

# Any HTTP answer counts: only a host that cannot connect at all is unreachable.
reachable() {
  curl --silent --show-error --output /dev/null --connect-timeout 5 --max-time 10 "$1" >"$WORK_DIR/output" 2>&1
}

imds() {
  curl --silent --show-error --fail --connect-timeout 2 --max-time 5 --retry 3 --retry-connrefused "$@" 2>"$WORK_DIR/output"
}

imds_get() {
  imds -H "X-aws-ec2-metadata-token: $IMDS_TOKEN" "$IMDS_URL/latest/meta-data/$1"
}

read_instance_identity() {
  local region
  if ! IMDS_TOKEN=$(imds -X PUT -H 'X-aws-ec2-metadata-token-ttl-seconds: 3600' "$IMDS_URL/latest/api/token") ||
    ! INSTANCE_ID=$(imds_get instance-id) || ! region=$(imds_get placement/region); then
    fail no-metadata "IMDSv2 did not answer" "$IMDS_URL: $(last_output_line)"
  fi
  log "instance $INSTANCE_ID in $region, signalling $SIGNAL_RESOURCE"
}

# Every outbound call goes through the HTTPS proxy when the stack names one, but the instance
# metadata service, which is link-local; the user's no-proxy list (VPC endpoints, for example) too.
# The customer's CA, once trusted, for the AWS CLI and curl.
use_network_settings() {
  [[ ! -s $CA_FILE ]] || export AWS_CA_BUNDLE="$CA_BUNDLE" CURL_CA_BUNDLE="$CA_BUNDLE"
  [[ -n $HTTPS_PROXY_URL ]] || return 0
  local no_proxy_list
  no_proxy_list="$(host_of "$IMDS_URL" | cut -d : -f 1)${NO_PROXY_LIST:+,$NO_PROXY_LIST}"
  export https_proxy="$HTTPS_PROXY_URL" HTTPS_PROXY="$HTTPS_PROXY_URL" http_proxy="$HTTPS_PROXY_URL" HTTP_PROXY="$HTTPS_PROXY_URL"
  export no_proxy="$no_proxy_list" NO_PROXY="$no_proxy_list"
}

# How the reason names the way out when a connection fails.
through_proxy() {
  [[ -z $HTTPS_PROXY_URL ]] || printf ' through the proxy %s' "$(host_of "$HTTPS_PROXY_URL")"
}

# Names from HostAliases, in /etc/hosts before any connection (replacing those of an earlier run).
add_host_aliases() {
  [[ -n $HOST_ALIASES ]] || return 0
  local entry kept
  kept=$(grep -v ' # altinity-connect$' "$HOSTS_FILE" || true)
  {
    printf '%s\n' "$kept"
    IFS=',' read -ra entries <<<"$HOST_ALIASES"
    for entry in "${entries[@]}"; do printf '%s %s # altinity-connect\n' "${entry#*=}" "${entry%%=*}"; done
  } >"$WORK_DIR/hosts"
  cat "$WORK_DIR/hosts" >"$HOSTS_FILE"
  log "added ${#entries[@]} host aliases to $HOSTS_FILE"
}

# The customer's CA, trusted before any HTTPS call: by the system (curl, apt, the tunnel) and, through
# AWS_CA_BUNDLE, by the AWS CLI. The console's one-line field may have lost the PEM's line breaks.
trust_ca_certificates() {
  [[ -n $CA_CERTIFICATES ]] || return 0
  mkdir -p "$CA_DIR"
  printf '%s' "$CA_CERTIFICATES" | tr -d ' \t\r\n' |
    sed -e 's/-----BEGINCERTIFICATE-----/\n-----BEGIN CERTIFICATE-----\n/g' -e 's/-----ENDCERTIFICATE-----/\n-----END CERTIFICATE-----\n/g' |
    awk '/^-----/ { print; next } NF { while (length($0) > 64) { print substr($0, 1, 64); $0 = substr($0, 65) } print }' >"$WORK_DIR/ca.crt"
  capture openssl crl2pkcs7 -nocrl -certfile "$WORK_DIR/ca.crt" -out /dev/null ||
    fail ca-invalid "CaCertificates holds no valid PEM certificate" "$(last_output_line)"
  install -m 0644 "$WORK_DIR/ca.crt" "$CA_FILE"
  capture update-ca-certificates || fail ca-invalid "update-ca-certificates failed: $(last_output_line)"
  export AWS_CA_BUNDLE="$CA_BUNDLE" CURL_CA_BUNDLE="$CA_BUNDLE"
  log "trusting the CA certificates of CaCertificates ($(grep -c 'BEGIN CERTIFICATE' "$CA_FILE"))"
}

# Proxy and CA for the service and the watch, as systemd gives them their environment.
configure_network() {
  add_host_aliases
  trust_ca_certificates
  : >"$NETWORK_ENV_FILE"
  [[ -z $HTTPS_PROXY_URL ]] || env | grep -E '^(https?_proxy|HTTPS?_PROXY|no_proxy|NO_PROXY)=' >"$NETWORK_ENV_FILE"
  [[ -z $CA_CERTIFICATES ]] || printf 'AWS_CA_BUNDLE=%s\nCURL_CA_BUNDLE=%s\n' "$CA_BUNDLE" "$CA_BUNDLE" >>"$NETWORK_ENV_FILE"
  log "network: ${HTTPS_PROXY_URL:+proxy $(host_of "$HTTPS_PROXY_URL"), }${HOST_ALIASES:+host aliases, }${CA_CERTIFICATES:+own CA, }direct to the instance metadata service"
}

# A TLS-inspecting proxy presents certificates of its own CA, which the host trusts only once given.
untrusted_certificate() {
  local problem
  problem=$(grep -m 1 -o 'SSL certificate problem.*' "$WORK_DIR/output") || return 0
  fail untrusted-tls "$(host_of "$1")" "$1: $problem; if a proxy inspects TLS, give its CA in CaCertificates"
}

no_network() {
  untrusted_certificate "$1"
  if [[ -n $HTTPS_PROXY_URL ]]; then
    fail no-network "cannot reach $(host_of "$1")$(through_proxy)" \
      "$1: $(last_output_line); the proxy must allow HTTPS (CONNECT) to it, or NoProxy must list it with a VPC endpoint"
  fi
  fail no-network "cannot reach $(host_of "$1")" \
    "$1: $(last_output_line); the subnet needs a route to the internet: an internet gateway and a public IP, a NAT gateway, or an HTTPS proxy"
}

check_aws_reachable() {
  local endpoint
  endpoint=$(aws_endpoint cloudformation)
  reachable "$endpoint" || {
    CLOUDFORMATION_REACHABLE=no
    no_network "$endpoint"
  }
  CLOUDFORMATION_REACHABLE=yes
  endpoint=$(aws_endpoint ssm)
  reachable "$endpoint" || no_network "$endpoint"
  log "AWS endpoints reachable"
}

# Packages' own scripts must create files readable by all, as usual, not with this script's umask.
apt_get() {
  local proxy=()
  [[ -z $HTTPS_PROXY_URL ]] || proxy=(-o "Acquire::http::Proxy=$HTTPS_PROXY_URL" -o "Acquire::https::Proxy=$HTTPS_PROXY_URL")
  (umask 022 && DEBIAN_FRONTEND=noninteractive apt-get -q -y -o DPkg::Lock::Timeout=300 -o Acquire::Retries=3 \
    -o Acquire::http::Timeout=20 -o Acquire::https::Timeout=20 "${proxy[@]}" "$@")
}

apt_update() {
  local attempt
  for attempt in 1 2 3 4 5 6; do
    capture apt_get update && return 0
    grep -q 'Could not get lock' "$WORK_DIR/output" || return 1
    log "apt lists locked by another apt process, retry $attempt in $APT_LOCK_PAUSE_SECONDS s"
    sleep "$APT_LOCK_PAUSE_SECONDS"
  done
  return 1
}

# Ubuntu 20.04 and 22.04 package the AWS CLI; 24.04 does not, and Canonical's snap has it.
install_aws_cli() {
  if command -v aws >/dev/null; then
    log "AWS CLI already installed"
    return
  fi
  apt_update || fail no-aws-cli "apt-get update failed$(through_proxy)" "$(last_output_line)"
  if apt-cache policy awscli 2>/dev/null | grep -q 'Candidate: [0-9]'; then
    capture apt_get install --no-install-recommends awscli ||
      fail no-aws-cli "apt-get install failed" "$(last_output_line)"
    log "installed the AWS CLI (Ubuntu package awscli)"
    return
  fi
  if [[ -n $HTTPS_PROXY_URL ]]; then
    capture snap set system "proxy.http=$HTTPS_PROXY_URL" "proxy.https=$HTTPS_PROXY_URL" ||
      fail no-aws-cli "snap set proxy failed: $(last_output_line)"
  fi
  capture snap install aws-cli --classic || fail no-aws-cli "snap install failed$(through_proxy)" "$(last_output_line)"
  PATH="$PATH:/snap/bin"
  command -v aws >/dev/null || fail no-aws-cli "no aws after snap install aws-cli"
  log "installed the AWS CLI (snap aws-cli: this release packages none)"
}

release_installed() {
  [[ -x $CONNECT_BIN && -f $RELEASE_MARKER ]] || return 1
  local version sha256
  read -r version sha256 <"$RELEASE_MARKER"
  [[ $version == "$CONNECT_VERSION" && (-z $CONNECT_SHA256 || $sha256 == "$CONNECT_SHA256") ]] || return 1
  [[ $(sha256sum "$CONNECT_BIN" | cut -d ' ' -f 1) == "$sha256" ]]
}

connect_arch() {
  case $(uname -m) in
    x86_64) echo amd64 ;;
    aarch64) echo arm64 ;;
    *) return 1 ;;
  esac
}

install_connect() {
  if release_installed; then
    log "altinitycloud-connect $CONNECT_VERSION already installed"
    return
  fi
  local arch url download sha256
  arch=$(connect_arch) || fail unsupported-arch "$(uname -m)" "releases exist for x86_64 and aarch64"
  url="$DOWNLOAD_URL/v$CONNECT_VERSION/altinitycloud-connect-$CONNECT_VERSION-linux-$arch"
  if ! reachable "$DOWNLOAD_URL"; then
    untrusted_certificate "$DOWNLOAD_URL"
    fail download-failed "cannot reach $(host_of "$DOWNLOAD_URL")$(through_proxy)" "$DOWNLOAD_URL: $(last_output_line)"
  fi
  download="$WORK_DIR/altinitycloud-connect"
  # HTTPS only, redirects included: a mirror cannot downgrade the download to plain HTTP.
  capture curl --fail --silent --show-error --location --proto =https --proto-redir =https --connect-timeout 10 \
    --max-time 300 --retry 5 --retry-delay 2 --retry-connrefused --output "$download" "$url" ||
    fail download-failed "$(last_output_line)" "$url"
  sha256=$(sha256sum "$download" | cut -d ' ' -f 1)
  if [[ -n $CONNECT_SHA256 && $sha256 != "$CONNECT_SHA256" ]]; then
    fail checksum-mismatch "altinitycloud-connect $CONNECT_VERSION" "$url has SHA-256 $sha256, expected $CONNECT_SHA256"
  fi
  mkdir -p "$BIN_DIR"
  # A rename replaces the binary even while an older one runs.
  install -m 0755 "$download" "$CONNECT_BIN.new"
  mv -f "$CONNECT_BIN.new" "$CONNECT_BIN"
  printf '%s %s\n' "$CONNECT_VERSION" "$sha256" >"$RELEASE_MARKER"
  log "installed altinitycloud-connect $CONNECT_VERSION ($arch, SHA-256 $sha256) as $CONNECT_BIN"
}

# Prints a SecureString's value; status 3 when the parameter does not exist. With a second argument,
# only one that the stack wrote: a SecureString under the stack's key (which only the stack's roles
# may use), tagged as the stack's; anyone who may merely write parameters can make none such. Status 4
# otherwise, with what is wrong in $WORK_DIR/untrusted. The value read is that of the version checked
# (name:version), so a write in between (a host storing its certificate over a claim) cannot mix them.
read_secure_parameter() {
  local status=0 name=$1 facts owner version
  if [[ -n ${2:-} ]]; then
    facts=$(aws_call ssm describe-parameters --parameter-filters "Key=Name,Values=$1" \
      --query 'Parameters[0].[Type,KeyId,Version]' --output text 2>"$WORK_DIR/output") || { log_output "$WORK_DIR/output"; return 1; }
    [[ -n $facts && $facts != None ]] || return 3
    owner=$(aws_call ssm list-tags-for-resource --resource-type Parameter --resource-id "$1" \
      --query "TagList[?Key=='$OWNER_TAG_KEY'].Value" --output text 2>"$WORK_DIR/output") || { log_output "$WORK_DIR/output"; return 1; }
    version=${facts##*$'\t'}
    if [[ $facts != "SecureString"$'\t'"$SECRETS_KEY"$'\t'* || $owner != "$STACK_ID" ]]; then
      printf '%s is %s, owned by %s; the stack writes SecureStrings under its key %s' "$1" "${facts//$'\t'/ }" "${owner:-nobody}" "$SECRETS_KEY" \
        >"$WORK_DIR/untrusted"
      return 4
    fi
    name="$1:$version"
  fi
  aws_call ssm get-parameter --name "$name" --with-decryption --query 'Parameter.Value' --output text 2>"$WORK_DIR/output" || status=$?
  log_output "$WORK_DIR/output"
  ((status == 0)) || { grep -q ParameterNotFound "$WORK_DIR/output" && return 3; return 1; }
}

log_in() {
  local status=0
  TOKEN=$(read_secure_parameter "$TOKEN_PARAMETER" token) || status=$?
  case $status in
    0) ;;
    3) fail token-missing "token parameter not found" "$TOKEN_PARAMETER does not exist; the stack stores it before the host starts" ;;
    4) fail not-stack-owned "token parameter" "$(<"$WORK_DIR/untrusted")" ;;
    *) fail ssm-denied "read token: $(aws_error)" "$TOKEN_PARAMETER: $(last_output_line)" ;;
  esac
  # The tool takes the token only as an argument; it writes cloud-connect.pem in the current directory.
  status=0
  (cd "$CONFIG_DIR" && "$CONNECT_BIN" login --token="$TOKEN") >"$WORK_DIR/output" 2>&1 || status=$?
  log_output "$WORK_DIR/output"
  ((status == 0)) || fail login-failed "$(last_output_line)" "altinitycloud-connect login exited with status $status"
  TOKEN=''
  [[ -s $CERTIFICATE_FILE ]] || fail login-failed "login wrote no certificate" "expected $CERTIFICATE_FILE"
  chmod 0600 "$CERTIFICATE_FILE"
  log "logged in to Altinity.Cloud"
}

store_certificate() {
  # file:// keeps the certificate off the command line; --overwrite replaces this host's claim.
  capture aws_call ssm put-parameter --name "$CERTIFICATE_PARAMETER" --type SecureString --tier Intelligent-Tiering \
    --key-id "$SECRETS_KEY" --overwrite --description "altinitycloud-connect certificate of stack $STACK_NAME" \
    --value "file://$CERTIFICATE_FILE" ||
    fail ssm-denied "store certificate: $(aws_error)" "$CERTIFICATE_PARAMETER: $(last_output_line)"
  HOLDS_LOGIN_CLAIM=no
  log "stored the certificate in $CERTIFICATE_PARAMETER for replacement hosts"
}

# Creating the parameter is atomic: of hosts that start together, exactly one gets to log in. The
# tag records the stack that owns it, as on every SecureString the stack writes.
claim_login() {
  if capture aws_call ssm put-parameter --name "$CERTIFICATE_PARAMETER" --type SecureString --key-id "$SECRETS_KEY" \
    --tags "[{\"Key\":\"$OWNER_TAG_KEY\",\"Value\":\"$STACK_ID\"}]" \
    --description "altinitycloud-connect login in progress" --value "$CLAIM_PREFIX$INSTANCE_ID at $(date +%s)"; then
    HOLDS_LOGIN_CLAIM=yes
    return 0
  fi
  grep -q ParameterAlreadyExists "$WORK_DIR/output" && return 1
  fail ssm-denied "store certificate: $(aws_error)" "$CERTIFICATE_PARAMETER: $(last_output_line)"
}

# A host that fails after claiming the login lets the next host try, instead of making it wait.
release_login_claim() {
  [[ $HOLDS_LOGIN_CLAIM == yes ]] || return 0
  HOLDS_LOGIN_CLAIM=no
  capture aws_call ssm delete-parameter --name "$CERTIFICATE_PARAMETER" ||
    log "cannot withdraw the login claim in $CERTIFICATE_PARAMETER: $(last_output_line)"
}

# Prints why the claim in $1 was abandoned (too old, or its instance is not running); fails while it
# may still be honoured, and when EC2 cannot tell.
claim_abandoned() {
  local claim=${1#"$CLAIM_PREFIX"} holder claimed_at state
  holder=${claim%% *}
  claimed_at=${claim##* at }
  if [[ $claimed_at =~ ^[0-9]+$ ]] && (($(date +%s) - claimed_at > CLAIM_EXPIRY_SECONDS)); then
    printf 'older than %s s' "$CLAIM_EXPIRY_SECONDS"
    return 0
  fi
  if ! state=$(aws_call ec2 describe-instances --instance-ids "$holder" --query 'Reservations[].Instances[].State.Name' \
    --output text 2>"$WORK_DIR/output"); then
    grep -q 'InvalidInstanceID' "$WORK_DIR/output" || return 1
    state=gone
  fi
  [[ $state == pending || $state == running ]] && return 1
  printf '%s is %s' "$holder" "${state:-gone}"
}

# Deletes an abandoned claim so that this host can claim the login, unless another waiting host
# replaced it meanwhile.
take_over_claim() {
  local claim=$1 why=$2 current
  current=$(read_secure_parameter "$CERTIFICATE_PARAMETER") || return 0
  [[ $current == "$claim" ]] || return 0
  log "the login claim of ${claim#"$CLAIM_PREFIX"} was abandoned ($why): taking it over"
  capture aws_call ssm delete-parameter --name "$CERTIFICATE_PARAMETER" ||
    fail ssm-denied "take over login claim: $(aws_error)" "$CERTIFICATE_PARAMETER: $(last_output_line)"
}

use_certificate() {
  printf '%s\n' "$1" >"$CERTIFICATE_FILE"
  chmod 0600 "$CERTIFICATE_FILE"
  log "using the certificate stored in $2: no new login"
}

log_in_and_store() {
  if [[ -s $CERTIFICATE_FILE ]]; then
    log "storing the certificate of an earlier login on this host: no new login"
  else
    log_in
  fi
  store_certificate
}

# The customer's own certificate parameter: read, never claimed, written or deleted.
use_existing_certificate() {
  local certificate status=0
  certificate=$(read_secure_parameter "$EXISTING_CERTIFICATE_PARAMETER") || status=$?
  case $status in
    0) use_certificate "$certificate" "$EXISTING_CERTIFICATE_PARAMETER" ;;
    3) fail cert-not-found "$EXISTING_CERTIFICATE_PARAMETER" \
      "ExistingCertificateParameter names no SSM parameter in $REGION" ;;
    *) fail ssm-denied "read certificate: $(aws_error)" \
      "$EXISTING_CERTIFICATE_PARAMETER: $(last_output_line); a customer-managed KMS key must let the host role decrypt" ;;
  esac
}

obtain_certificate() {
  if [[ -n $EXISTING_CERTIFICATE_PARAMETER ]]; then
    use_existing_certificate
    return
  fi
  local certificate status waited=0 why holder
  while :; do
    status=0
    certificate=$(read_secure_parameter "$CERTIFICATE_PARAMETER" certificate) || status=$?
    case $status in
      0) ;;
      3)
        if claim_login; then
          log_in_and_store
          return
        fi
        continue
        ;;
      4) fail not-stack-owned "certificate parameter" "$(<"$WORK_DIR/untrusted")" ;;
      *) fail ssm-denied "read certificate: $(aws_error)" "$CERTIFICATE_PARAMETER: $(last_output_line)" ;;
    esac
    case $certificate in
      "$CLAIM_PREFIX$INSTANCE_ID" | "$CLAIM_PREFIX$INSTANCE_ID "*)
        # An earlier run of this host claimed the login and stopped before storing the certificate.
        HOLDS_LOGIN_CLAIM=yes
        log_in_and_store
        return
        ;;
      "$CLAIM_PREFIX"*)
        if why=$(claim_abandoned "$certificate"); then
          take_over_claim "$certificate" "$why"
          continue
        fi
        holder=${certificate#"$CLAIM_PREFIX"}
        holder=${holder%% *}
        ((waited < CERTIFICATE_WAIT_SECONDS)) ||
          fail claim-stuck "no certificate from $holder within ${CERTIFICATE_WAIT_SECONDS} s" \
            "it claimed the login in $CERTIFICATE_PARAMETER and stored no certificate"
        ((waited == 0)) && log "$holder is logging in; waiting for its certificate"
        sleep "$CERTIFICATE_POLL_SECONDS"
        waited=$((waited + CERTIFICATE_POLL_SECONDS))
        ;;
      *)
        use_certificate "$certificate" "$CERTIFICATE_PARAMETER"
        return
        ;;
    esac
  done
}

write_unit() {
  mkdir -p "$SYSTEMD_DIR"
  cat >"$SYSTEMD_DIR/$SERVICE.service" <<EOF
[Unit]
Description=altinitycloud-connect: connection to Altinity.Cloud (AWS capability)
Wants=network-online.target
After=network-online.target
StartLimitIntervalSec=0

[Service]
EnvironmentFile=-$NETWORK_ENV_FILE
ExecStart=$CONNECT_BIN --url=$ALTINITY_URL${CA_CERTIFICATES:+ --ca-crt=$CA_FILE} --capability aws -i $CERTIFICATE_FILE
WorkingDirectory=$CONFIG_DIR
Restart=always
RestartSec=5

[Install]
WantedBy=multi-user.target
EOF
  # The watch: once a minute, whether Altinity.Cloud still sees the environment connected.
  cat >"$SYSTEMD_DIR/$WATCH.service" <<EOF
[Unit]
Description=altinitycloud-connect watch: is the environment connected to Altinity.Cloud?

[Service]
Type=oneshot
EnvironmentFile=-$NETWORK_ENV_FILE
ExecStart=/bin/bash $SCRIPT_FILE watch
EOF
  cat >"$SYSTEMD_DIR/$WATCH.timer" <<EOF
[Unit]
Description=altinitycloud-connect watch, every minute

[Timer]
OnActiveSec=1min
OnUnitActiveSec=1min

[Install]
WantedBy=timers.target
EOF
  chmod 0644 "$SYSTEMD_DIR/$SERVICE.service" "$SYSTEMD_DIR/$WATCH.service" "$SYSTEMD_DIR/$WATCH.timer"
}

start_service() {
  write_unit
  capture systemctl daemon-reload || fail service-failed "systemctl daemon-reload failed: $(last_output_line)"
  capture systemctl enable --now "$SERVICE.service" || fail service-failed "cannot start $SERVICE: $(last_output_line)"
  sleep "$SETTLE_SECONDS"
  check_service "in ${SETTLE_SECONDS} s"
  log "$SERVICE.service is active"
}

# Fails, with the service's own last words, unless it runs and has not restarted.
check_service() {
  local state restarts
  state=$(systemctl is-active "$SERVICE.service" || true)
  restarts=$(systemctl show --property NRestarts --value "$SERVICE.service" || true)
  [[ $state == active && $restarts == 0 ]] && return 0
  # The service's own output, not systemd's lines about it.
  capture journalctl "_SYSTEMD_UNIT=$SERVICE.service" --lines 20 --no-pager --output cat || true
  fail service-failed "did not stay up: $(last_output_line)" "it restarted $restarts times $1 and is $state now"
}

# Altinity.Cloud's answer to whether it sees the environment connected, on one line without the
# spaces around it: OK when it does. The certificate stays in its file: only the file's name is on
# the command line.
statuscheck() {
  curl --silent --show-error --max-time 10 --proto =https --cert "$CERTIFICATE_FILE" --key "$CERTIFICATE_FILE" \
    "$ALTINITY_URL/statuscheck?connected" 2>&1 | head -c 200 | tr -s '\r\n\t' ' ' | sed -e 's/^ *//' -e 's/ *$//' || true
}

# Complete means connected: the host signals success only once Altinity.Cloud says so. The timeout
# counts from the first question, the questions' own time included.
await_connection() {
  local started answer waiting_logged=''
  started=$(date +%s)
  while :; do
    answer=$(statuscheck)
    if [[ $answer == OK ]]; then
      log "Altinity.Cloud sees the environment connected"
      return
    fi
    check_service "while waiting for Altinity.Cloud"
    (($(date +%s) - started < CONNECTION_TIMEOUT)) ||
      fail not-connected "after ${CONNECTION_TIMEOUT} s: ${answer:-no answer}" \
        "$ALTINITY_URL/statuscheck?connected answered '${answer:-nothing}'; check outbound HTTPS to $(host_of "$ALTINITY_URL") and that the token is this environment's"
    if [[ -z $waiting_logged ]]; then
      log "waiting up to ${CONNECTION_TIMEOUT} s for Altinity.Cloud to see the environment connected"
      waiting_logged=yes
    fi
    sleep "$STATUSCHECK_POLL_SECONDS"
  done
}

start_watch() {
  capture systemctl enable --now "$WATCH.timer" || fail service-failed "cannot start the $WATCH timer: $(last_output_line)"
  printf 'connected\n' >"$CONNECTION_STATE_FILE"
  log "$WATCH.timer checks the connection every minute"
}

# A deadline for the whole bootstrap: when it passes, the step under way is stopped. Bash runs the
# trap only once the command in the foreground ends, hence the TERM to the commands running then
# (and only those: the failure report's own commands start after). The watchdog waits with a
# builtin and holds none of the script's output, so nothing of it outlives the script.
start_deadline() {
  trap 'fail deadline "no success within ${DEADLINE_SECONDS} s" "stopped at step $STEP"' USR1
  (
    read -r -t "$DEADLINE_SECONDS" <> <(:) || true
    watchdog=$BASHPID
    mapfile -t running < <(pgrep -P $$ | grep -vx "$watchdog")
    kill -USR1 $$
    ((${#running[@]} == 0)) || kill -TERM "${running[@]}"
  ) </dev/null >/dev/null 2>&1 &
  DEADLINE_WATCH=$!
}

stop_deadline() {
  [[ -z $DEADLINE_WATCH ]] || kill "$DEADLINE_WATCH" 2>/dev/null || true
}

run_step() {
  STEP=$1
  log "step: $STEP"
  "$2"
}

main() {
  mkdir -p "$(dirname "$LOG_FILE")" "$CONFIG_DIR"
  chmod 0700 "$CONFIG_DIR"
  WORK_DIR=$(mktemp -d "$CONFIG_DIR/bootstrap.XXXXXX")
  trap 'stop_deadline; rm -rf "$WORK_DIR"' EXIT
  trap 'on_error $LINENO' ERR
  start_deadline
  log "altinitycloud-connect $CONNECT_VERSION for stack $STACK_NAME in $REGION"
  run_step "read instance identity" read_instance_identity
  run_step "configure network" configure_network
  run_step "check network" check_aws_reachable
  run_step "install AWS CLI" install_aws_cli
  run_step "install altinitycloud-connect" install_connect
  run_step "obtain certificate" obtain_certificate
  run_step "start service" start_service
  run_step "await connection" await_connection
  run_step "start watch" start_watch
  tag_state connected
  STEP=signal
  signal_cloudformation SUCCESS "$INSTANCE_ID" || exit 1
  log "done: $SERVICE.service runs, starts at every boot, and Altinity.Cloud sees the environment connected"
}

# Records the connection's state as an instance tag; a failure is logged, not fatal.
tag_state() {
  capture aws_call ec2 create-tags --resources "$INSTANCE_ID" --tags "Key=$STATE_TAG_KEY,Value=$1" ||
    log "cannot tag $INSTANCE_ID $STATE_TAG_KEY=$1: $(last_output_line)"
}

# The watch, run by its timer every minute after creation: records when the environment stops or
# starts being connected, and has a host of a group that stays disconnected replaced.
watch() {
  STEP=watch
  WORK_DIR=$(mktemp -d "$CONFIG_DIR/watch.XXXXXX")
  trap 'rm -rf "$WORK_DIR"' EXIT
  local previous='' since=0 reported='' answer now
  [[ ! -f $CONNECTION_STATE_FILE ]] || read -r previous since reported <"$CONNECTION_STATE_FILE"
  answer=$(statuscheck)
  now=$(date +%s)
  if systemctl is-active --quiet "$SERVICE.service" && [[ $answer == OK ]]; then
    [[ $previous != connected ]] || return 0
    read_instance_identity >/dev/null
    log "watch: connected again"
    tag_state connected
    printf 'connected\n' >"$CONNECTION_STATE_FILE"
  elif [[ $previous != disconnected ]]; then
    read_instance_identity >/dev/null
    log "watch: disconnected: ${answer:-no answer}"
    tag_state "disconnected since $(date -u +%Y-%m-%dT%H:%M:%SZ)"
    printf 'disconnected %s\n' "$now" >"$CONNECTION_STATE_FILE"
  elif ((now - since >= CONNECTION_TIMEOUT)) && [[ -z $reported ]]; then
    # Once: a single host stays for diagnosis, a group's host asks to be replaced.
    printf 'disconnected %s reported\n' "$since" >"$CONNECTION_STATE_FILE"
    read_instance_identity >/dev/null
    log "watch: disconnected for $((now - since)) s"
    leave_auto_scaling_group
  fi
}

use_network_settings
case ${1:-} in
  watch) watch ;;
  *) main ;;
esac
