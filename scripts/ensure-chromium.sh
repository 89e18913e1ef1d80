#!/bin/sh
# Browser tests drive Debian's Chromium (never a downloaded browser). Install it with a CJK
# font when it is missing and we may use apt-get; otherwise the browser tests are skipped
# with a message saying why (CI always installs it, see .ci/run).
if [ -x /usr/bin/chromium ]; then exit 0; fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing Debian chromium and fonts-noto-cjk for the browser tests..."
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null
else
  echo "NOTE: /usr/bin/chromium is missing and cannot be installed here; browser tests will be skipped."
fi
exit 0
