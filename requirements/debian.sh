#!/usr/bin/env bash
# Install the Debian packages listed in requirements/debian.txt that are missing — when run as root
# with apt-get — or name them and fail. No test may skip because a system package is absent.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
missing=()
while read -r probe package; do
  [[ -z "${probe}" || "${probe}" == \#* ]] && continue
  if [[ "${probe}" == /* ]]; then
    [[ -e "${probe}" ]] && continue
    # tessdata moves between Tesseract versions: accept the file anywhere under /usr/share
    if [[ "${probe}" == *.traineddata ]] && compgen -G "/usr/share/tesseract-ocr/*/tessdata/$(basename "${probe}")" >/dev/null; then continue; fi
  else
    command -v "${probe}" >/dev/null 2>&1 && continue
    [[ "${probe}" == initdb ]] && compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null && continue
  fi
  missing+=("${package}")
done < "${here}/debian.txt"
[[ ${#missing[@]} -eq 0 ]] && exit 0
if [[ "$(id -u)" == 0 ]] && command -v apt-get >/dev/null 2>&1; then
  echo "Cài gói Debian còn thiếu: ${missing[*]}"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  exit 0
fi
echo "Thiếu gói Debian: ${missing[*]} — cài bằng: sudo apt-get install ${missing[*]}" >&2
exit 1
