#!/usr/bin/env bash
# Refresh the vendored front-end files under huifang/static/vendor/ from the npm registry.
# Running Huifang or its tests never needs Node.js: the files are committed. Versions are pinned here.
set -euo pipefail
HTMX=2.0.11          # htmx.org 4.x is a breaking rewrite: stay on 2.0.x
BOOTSTRAP=5.3.8
BOOTSTRAP_ICONS=1.13.1
ECHARTS=6.1.0

dest="$(cd "$(dirname "$0")/.." && pwd)/huifang/static/vendor"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
for pkg in "htmx.org@$HTMX" "bootstrap@$BOOTSTRAP" "bootstrap-icons@$BOOTSTRAP_ICONS" "echarts@$ECHARTS"; do
  npm pack --silent "$pkg" >/dev/null
done
for t in *.tgz; do mkdir -p "${t%.tgz}" && tar -xzf "$t" -C "${t%.tgz}"; done

rm -rf "$dest" && mkdir -p "$dest"/{htmx,bootstrap,bootstrap-icons/fonts,echarts}
cp htmx.org-*/package/dist/htmx.min.js "$dest/htmx/"
cp bootstrap-[0-9]*/package/dist/css/bootstrap.min.css "$dest/bootstrap/"
cp bootstrap-[0-9]*/package/dist/js/bootstrap.bundle.min.js "$dest/bootstrap/"
cp bootstrap-icons-*/package/font/bootstrap-icons.min.css "$dest/bootstrap-icons/"
cp bootstrap-icons-*/package/font/fonts/bootstrap-icons.woff2 "$dest/bootstrap-icons/fonts/"
cp echarts-*/package/dist/echarts.min.js "$dest/echarts/"
cat > "$dest/VERSIONS" <<TXT
htmx.org $HTMX
bootstrap $BOOTSTRAP
bootstrap-icons $BOOTSTRAP_ICONS
echarts $ECHARTS
TXT
echo "vendored into $dest:"; cat "$dest/VERSIONS"
