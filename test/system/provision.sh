#!/usr/bin/env bash
# What the tests need from the system, provisioned before jest runs (`npm test` and .ci/run call
# this script):
#   qpdf                            opens the encrypted payslip PDFs (test/compose, test/node)
#   openssl                         makes the test CA and server certificates (test/support)
#   postfix, libsasl2-modules,      the real MTA of test/mta: Postfix with Cyrus SASL (saslpasswd2
#   sasl2-bin                       and the PLAIN/LOGIN/CRAM-MD5 mechanisms)
#   iproute2                        a network namespace for a server that is not on loopback
#                                   (test/support/remoteSmtpServer.ts)
#   chromium                        the headless browser of npm run test:n8n's editor check
#                                   (/usr/bin/chromium, driven by playwright-core)
#   postgresql                      PostgreSQL's server (Debian's supported version): the send journal
#                                   and account lock of test/node and test/send, and the database of
#                                   the real-n8n queue-mode check (tools/n8n-check)
#   redis-server                    the queue of that check
#
# Idempotent: with everything installed it prints one line and changes nothing. Otherwise, as root
# with apt-get, it installs exactly the missing Debian packages; without root or apt-get it fails
# at once with one line naming what is missing and the command that installs it.
#
# The system's own Postfix, PostgreSQL and Redis services are never configured, started or enabled:
# debconf tells Postfix "No configuration", PostgreSQL's packages are told to create no cluster
# (create_main_cluster = false, for the time of the install), invoke-rc.d is kept from starting
# services while the packages unpack, and the services this script installed (postfix, saslauthd,
# postgresql, redis-server) are disabled after. The tests start their own Postfix, PostgreSQL and
# Redis from temporary folders. What was already installed is left as it was.
set -euo pipefail

packages=(qpdf openssl postfix libsasl2-modules sasl2-bin postgresql redis-server iproute2 chromium)
# Without dpkg (not Debian), the commands stand in for the packages.
commands=(qpdf openssl postconf saslpasswd2 initdb redis-server ip chromium)

say() { printf 'test tools: %s\n' "$*"; }

installed() {
	dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q '^install ok installed$'
}

if ! command -v dpkg-query >/dev/null 2>&1; then
	absent=()
	for command in "${commands[@]}"; do
		command -v "$command" >/dev/null 2>&1 || [ -x "/usr/sbin/$command" ] || absent+=("$command")
	done
	if [ "${#absent[@]}" -eq 0 ]; then
		say "present: ${commands[*]} (no dpkg here: Cyrus SASL's PLAIN/LOGIN/CRAM-MD5 modules are not checked)"
		exit 0
	fi
	say "MISSING ${absent[*]}: install qpdf, openssl, Postfix with Cyrus SASL (saslpasswd2, PLAIN/LOGIN/CRAM-MD5 modules), PostgreSQL's server, Redis, iproute2 and Chromium (as /usr/bin/chromium) with this system's package manager" >&2
	exit 1
fi

missing=()
for package in "${packages[@]}"; do
	installed "$package" || missing+=("$package")
done
if [ "${#missing[@]}" -eq 0 ]; then
	say "present: ${packages[*]}"
	exit 0
fi

if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
	say "MISSING Debian packages ${missing[*]}: install them with: sudo bash test/system/provision.sh (or: sudo apt-get install --no-install-recommends ${missing[*]})" >&2
	exit 1
fi

newly_installed_services=()
for package in "${missing[@]}"; do
	case "$package" in
		postfix) newly_installed_services+=(postfix) ;;
		sasl2-bin) newly_installed_services+=(saslauthd) ;;
		postgresql) newly_installed_services+=(postgresql) ;;
		redis-server) newly_installed_services+=(redis-server) ;;
	esac
done

# Keep the packages' maintainer scripts from starting any service while they install.
policy=/usr/sbin/policy-rc.d
own_policy=no
if [ ! -e "$policy" ]; then
	printf '#!/bin/sh\nexit 101\n' >"$policy"
	chmod 755 "$policy"
	own_policy=yes
fi
# PostgreSQL's packages create and start a "main" cluster unless told not to; the setting is read
# from createcluster.conf's include folder, so a file of ours there says it for this install only.
no_cluster=/etc/postgresql-common/createcluster.d/payroll-mail-provision.conf
own_no_cluster=no
if [[ " ${missing[*]} " == *" postgresql "* ]] && [ ! -e "$no_cluster" ]; then
	mkdir -p "$(dirname "$no_cluster")"
	printf '# Written by test/system/provision.sh while it installs PostgreSQL; removed after.\ncreate_main_cluster = false\n' >"$no_cluster"
	own_no_cluster=yes
fi
cleanup() {
	if [ "$own_policy" = yes ]; then rm -f "$policy"; fi
	if [ "$own_no_cluster" = yes ]; then rm -f "$no_cluster"; fi
}
trap cleanup EXIT

if [ "${#newly_installed_services[@]}" -gt 0 ]; then
	echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
	echo "postfix postfix/mailname string mail.payroll.test" | debconf-set-selections
fi

log=$(mktemp -t payroll-mail-apt.XXXXXX)
say "installing ${missing[*]} (Debian packages)"
export DEBIAN_FRONTEND=noninteractive
# Try the package lists the machine has; a fresh machine has none yet, so fetch them then.
if ! apt-get install -y -q --no-install-recommends "${missing[@]}" >"$log" 2>&1; then
	apt-get update -q >>"$log" 2>&1
	if ! apt-get install -y -q --no-install-recommends "${missing[@]}" >>"$log" 2>&1; then
		tail -n 20 "$log" >&2
		say "FAILED to install ${missing[*]} (apt-get's log: $log)" >&2
		exit 1
	fi
fi

# Not enabled at boot either (update-rc.d also disables the systemd unit); the tests start their
# own instance from a temporary folder. Only services this run installed are touched.
for service in "${newly_installed_services[@]}"; do
	update-rc.d "$service" disable >/dev/null 2>&1 || true
done

still_missing=()
for package in "${missing[@]}"; do
	installed "$package" || still_missing+=("$package")
done
if [ "${#still_missing[@]}" -gt 0 ]; then
	say "FAILED: ${still_missing[*]} still not installed (apt-get's log: $log)" >&2
	exit 1
fi
rm -f "$log"
say "installed ${missing[*]}"
