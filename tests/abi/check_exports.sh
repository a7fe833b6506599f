#!/usr/bin/env bash
# check_exports.sh: holds libopenmed.so to its public contract. The dynamic symbols it defines must be
# exactly tests/abi/libopenmed.symbols (so an accidental export or a removed function fails), every
# one named openmed_*, the list must be exactly the functions include/openmed.h marks OPENMED_API,
# and the SONAME must be libopenmed.so.<major>.
# Usage: check_exports.sh LIBRARY HEADER SYMBOLS_LIST
set -euo pipefail
lib="$1" header="$2" list="$3"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0

nm -D --defined-only --extern-only "$lib" | awk '$2 ~ /^[TDBRVWiu]$/ {print $3}' | sed 's/@.*//' | sort -u >"$tmp/exported"
grep -v '^#' "$list" | sed '/^[[:space:]]*$/d' | sort -u >"$tmp/listed"
# Function names of the declarations that start with OPENMED_API (one per line in the header).
sed -n 's/^OPENMED_API[^(]*[^A-Za-z0-9_]\(openmed_[A-Za-z0-9_]*\)(.*/\1/p' "$header" | sort -u >"$tmp/declared"

if [ "$(wc -l <"$tmp/exported")" -lt 10 ]; then
  echo "check_exports: $lib exports only $(wc -l <"$tmp/exported") symbols; nm failed?" >&2
  exit 1
fi
if ! diff -u "$tmp/listed" "$tmp/exported" >"$tmp/d1"; then
  echo "check_exports: $lib exports differ from $list ('+' exported but not listed, '-' listed but missing):" >&2
  grep '^[+-][^+-]' "$tmp/d1" >&2
  fail=1
fi
if grep -v '^openmed_' "$tmp/exported" >"$tmp/bad"; then
  echo "check_exports: $lib exports symbols outside the openmed_ namespace:" >&2
  cat "$tmp/bad" >&2
  fail=1
fi
if ! diff -u "$tmp/listed" "$tmp/declared" >"$tmp/d2"; then
  echo "check_exports: $list differs from the OPENMED_API functions of $header ('+' declared but not listed):" >&2
  grep '^[+-][^+-]' "$tmp/d2" >&2
  fail=1
fi
soname=$(objdump -p "$lib" | awk '$1 == "SONAME" {print $2}')
if ! [[ "$soname" =~ ^libopenmed\.so\.[0-9]+$ ]]; then
  echo "check_exports: $lib has SONAME '$soname', expected libopenmed.so.<major>" >&2
  fail=1
fi
[ "$fail" = 0 ] && echo "check_exports: $(wc -l <"$tmp/exported") symbols, all listed and declared; SONAME $soname"
exit "$fail"
