#!/usr/bin/env bash
# Installs what test/mta/postfix.test.ts needs from Debian's packages: Postfix (the MTA the suite
# starts on 127.0.0.1 from its own temporary configuration) and Cyrus SASL (saslpasswd2 and the
# PLAIN/LOGIN/CRAM-MD5 mechanisms). Idempotent: does nothing when everything is there already.
#
# The system's own Postfix service is never configured, started or enabled by this script:
# debconf is told "No configuration", invoke-rc.d is kept from starting services while the
# packages unpack, and the services this script installed (postfix, saslauthd) are disabled after.
# A Postfix that was already installed (a real mail set-up) is left exactly as it was.
set -euo pipefail

packages=(postfix libsasl2-modules sasl2-bin)

missing=()
for package in "${packages[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q '^install ok installed$'; then
		missing+=("$package")
	fi
done
if [ "${#missing[@]}" -eq 0 ]; then
	echo "install-postfix: already installed: ${packages[*]} ($(/usr/sbin/postconf -d -h mail_version 2>/dev/null || echo '?'))"
	exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
	echo "install-postfix: must run as root to install ${missing[*]}" >&2
	exit 1
fi

newly_installed_services=()
for package in "${missing[@]}"; do
	case "$package" in
		postfix) newly_installed_services+=(postfix) ;;
		sasl2-bin) newly_installed_services+=(saslauthd) ;;
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
cleanup() { if [ "$own_policy" = yes ]; then rm -f "$policy"; fi; }
trap cleanup EXIT

echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
echo "postfix postfix/mailname string mail.payroll.test" | debconf-set-selections

export DEBIAN_FRONTEND=noninteractive
if ! apt-get install -y --no-install-recommends "${missing[@]}"; then
	apt-get update
	apt-get install -y --no-install-recommends "${missing[@]}"
fi

# Not enabled at boot either (update-rc.d also disables the systemd unit); the tests start their
# own instance from a temporary folder. Only services this run installed are touched.
for service in "${newly_installed_services[@]}"; do
	update-rc.d "$service" disable >/dev/null 2>&1 || true
done

echo "install-postfix: installed ${missing[*]} ($(/usr/sbin/postconf -d -h mail_version))"
