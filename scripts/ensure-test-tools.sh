#!/bin/sh
# System tools some tests drive: Debian's Chromium with a CJK font (browser tests; never a
# downloaded browser) and nginx (the example reverse-proxy configuration is tested for real).
# Installed when missing and we may use apt-get; otherwise those tests are skipped with a
# message saying why (CI always installs them, see .ci/run).
missing=""
[ -x /usr/bin/chromium ] || missing="$missing chromium"
# Checked on its own: Chromium may be present without a CJK font (screenshots show boxes).
[ -d /usr/share/fonts/opentype/noto ] && ls /usr/share/fonts/opentype/noto | grep -q CJK \
  || missing="$missing fonts-noto-cjk"
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || missing="$missing nginx-light"
[ -z "$missing" ] && exit 0
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing$missing for the browser and server tests..."
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null
else
  echo "NOTE:$missing missing and cannot be installed here; the tests needing them will be skipped."
fi
exit 0
