#!/usr/bin/env bash
# Sets up everything ncupd's demo and tests need on a fresh Debian or Ubuntu machine, and only
# what is missing: Debian packages (php-cli and extensions, MariaDB and PostgreSQL servers,
# OpenSSH, archive and crypto tools, Chromium for the status page test, btrfs-progs for the
# data-snapshot tests on a loop-mounted btrfs), the two database servers running with the logins
# the tests use, and the npm dependencies, built. Safe to run again. Needs root.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf 'setup: %s\n' "$*"; }
[ "$(id -u)" -eq 0 ] || { echo "setup: run as root (the tests create users, start servers and switch users)" >&2; exit 1; }

packages=(socat php-cli php-sqlite3 php-mysql php-pgsql php-zip php-curl php-xml php-mbstring
  mariadb-server mariadb-client postgresql postgresql-client openssh-server openssh-client
  zip unzip bzip2 tar gnupg openssl sqlite3 git util-linux procps iproute2 ca-certificates
  chromium btrfs-progs sudo)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  say "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # Package scripts may fail to start services where systemd is not PID 1; we start them below.
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

mariadb_ready() { mariadb -uroot -h127.0.0.1 -P3306 -e 'SELECT 1' >/dev/null 2>&1; }
if ! mariadb -uroot -e 'SELECT 1' >/dev/null 2>&1; then
  say "starting MariaDB"
  mkdir -p /run/mysqld && chown mysql:mysql /run/mysqld
  service mariadb start >/dev/null 2>&1 || start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd
  for _ in $(seq 1 60); do mariadb -uroot -e 'SELECT 1' >/dev/null 2>&1 && break; sleep 1; done
fi
if ! mariadb_ready; then
  # A fresh Debian MariaDB lets root in only through the socket; the tests also use 127.0.0.1.
  say "allowing MariaDB root over 127.0.0.1 (test machine)"
  mariadb -uroot -e "ALTER USER root@localhost IDENTIFIED VIA unix_socket OR mysql_native_password USING PASSWORD('')"
fi
mariadb_ready || { echo "setup: MariaDB does not accept root on 127.0.0.1:3306" >&2; exit 1; }

pg_ready() { psql -w -h 127.0.0.1 -p 5432 -U postgres -d postgres -c 'SELECT 1' >/dev/null 2>&1; }
if ! pg_ready; then
  cluster=$(ls /etc/postgresql | sort -V | tail -n 1)
  hba=/etc/postgresql/$cluster/main/pg_hba.conf
  if ! grep -q 'ncupd test machine' "$hba"; then
    say "trusting PostgreSQL logins from 127.0.0.1 (test machine; password tests use private servers)"
    printf '# ncupd test machine\nhost all all 127.0.0.1/32 trust\nhost all all ::1/128 trust\n' | cat - "$hba" > "$hba.new" && mv "$hba.new" "$hba"
    chown postgres:postgres "$hba"
  fi
  say "starting PostgreSQL $cluster"
  pg_ctlcluster --skip-systemctl-redirect "$cluster" main start >/dev/null 2>&1 || pg_ctlcluster --skip-systemctl-redirect "$cluster" main reload >/dev/null 2>&1 || true
  for _ in $(seq 1 60); do pg_ready && break; sleep 1; done
fi
pg_ready || { echo "setup: PostgreSQL does not accept postgres on 127.0.0.1:5432" >&2; exit 1; }

mkdir -p /run/sshd
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  say "installing npm dependencies"
  npm ci --no-audit --no-fund >/dev/null
fi
say "ready"
