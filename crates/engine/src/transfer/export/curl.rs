//! The bash script of curl commands: resumes, checks sizes and SHA-256, reports in its exit status.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::plan::{plan, token_id, Format, Planned};
use super::{comment, scheme_word, ExportItem, TokenNeed};

/// A bash script that fetches the batch with curl into the current folder.
///
/// Each file goes to `<file>.part`, resumed with `-C -` if the script is run again, is checked against
/// its size and SHA-256 where known (ADLER-32 has no standard tool and is not checked), and only then
/// renamed into place; files already present and whole are left alone. The script exits 0 when every
/// file is here, 1 if any failed, 2 if curl or a needed token is missing, and 3 if some files were
/// left for Jobfetch (see the comments in the script).
///
/// Files that need an archive token get it from the script's arguments (the first archive from `$1`,
/// the next from `$2`, ...), else from `$JOBFETCH_TOKEN_<ARCHIVE>` (or the archive's own variable, e.g.
/// `$MAST_API_TOKEN`), else by asking, and is sent with the archive's scheme. The number of
/// retries per file is 5 unless `$JOBFETCH_CURL_RETRIES` says otherwise.
pub fn curl_script(batch_name: &str, items: &[ExportItem]) -> String {
    let plans: Vec<Result<Planned, &str>> =
        items.iter().map(|item| plan(item, Format::Curl)).collect();
    let fetched = plans.iter().filter(|plan| plan.is_ok()).count();
    let left = plans.len() - fetched;
    // Token archives in a stable order: id -> the name the user knows.
    let mut archives: BTreeMap<String, &TokenNeed> = BTreeMap::new();
    for plan in plans.iter().flatten() {
        if let Some((need, id)) = &plan.token {
            archives.entry(id.clone()).or_insert(*need);
        }
    }

    let mut out = String::with_capacity(4096 + items.len() * 200);
    out.push_str("#!/usr/bin/env bash\n");
    let _ = writeln!(
        out,
        "# Jobfetch export of the batch \"{}\": {} file(s), {} of them fetched by this script.",
        comment(batch_name),
        items.len(),
        fetched
    );
    out.push_str(CURL_HEADER);
    out.push_str("set -u\n\n");
    out.push_str(CURL_PRELUDE);

    if !archives.is_empty() {
        out.push_str(
            "\n# Some files need an archive token. It is read when the script runs, never written to disk,\n\
             # and handed to curl through a pipe, so it does not show in the process list either.\n",
        );
        for (position, (id, need)) in archives.iter().enumerate() {
            let position = position + 1;
            let env = need.env.as_deref().map(token_id);
            let fallback = env
                .as_ref()
                .map_or(String::new(), |env| format!("${{{env}:-}}"));
            let _ = writeln!(
                out,
                "# {}: argument {position}, else $JOBFETCH_TOKEN_{id}{}, else asked for.",
                comment(&need.archive),
                env.as_ref()
                    .map_or(String::new(), |env| format!(" or ${env}"))
            );
            let _ = writeln!(
                out,
                "TOKEN_{id}=${{{position}:-${{JOBFETCH_TOKEN_{id}:-{fallback}}}}}"
            );
            let _ = writeln!(out, "if [ -z \"$TOKEN_{id}\" ] && [ -t 0 ]; then");
            let _ = writeln!(out, "  read -rs -p 'Token for {id}: ' TOKEN_{id}");
            out.push_str("  echo >&2\nfi\n");
            let _ = writeln!(out, "if [ -z \"$TOKEN_{id}\" ]; then");
            let _ = writeln!(
                out,
                "  echo 'No token for {id}: give it as argument {position} or in $JOBFETCH_TOKEN_{id}.' >&2"
            );
            out.push_str("  exit 2\nfi\n");
        }
        out.push_str("\n# auth_header ARCHIVE: the Authorization header line for that archive.\nauth_header() {\n  case $1 in\n");
        for (id, need) in &archives {
            let scheme = scheme_word(&need.scheme);
            let _ = writeln!(
                out,
                "    {id}) printf 'Authorization: {scheme} %s\\n' \"$TOKEN_{id}\" ;;"
            );
        }
        out.push_str("  esac\n}\n");
    }
    out.push_str(CURL_FETCH);

    out.push('\n');
    for (item, plan) in items.iter().zip(&plans) {
        match plan {
            Ok(plan) => {
                if let Some(adler) = &plan.adler32 {
                    let _ = writeln!(
                        out,
                        "# ADLER-32 {adler} is not checked here (no standard tool has it); Jobfetch checks it."
                    );
                }
                let _ = writeln!(
                    out,
                    "fetch {} {} {} {} {}",
                    sh_quote(&format!("./{}", plan.file)),
                    sh_quote(&plan.url),
                    plan.size.map_or("-".to_string(), |size| size.to_string()),
                    plan.sha256.as_deref().map_or("-".to_string(), sh_quote),
                    plan.token.as_ref().map_or("-", |(_, id)| id.as_str()),
                );
            }
            Err(reason) => {
                let _ = writeln!(
                    out,
                    "# Not in this script: {} ({reason}). Fetch it with Jobfetch.",
                    comment(&item.file)
                );
            }
        }
    }

    let _ = write!(
        out,
        "\nLEFT={left}\n\
         printf 'Fetched %s, already present %s, failed %s, left for Jobfetch %s.\\n' \"$FETCHED\" \"$PRESENT\" \"$FAILED\" \"$LEFT\" >&2\n\
         if [ \"$FAILED\" -gt 0 ]; then\n  echo 'Some files failed: run the script again to retry them.' >&2\n  exit 1\nfi\n\
         if [ \"$LEFT\" -gt 0 ]; then\n  echo 'Some files are not in this script (see the comments in it): fetch them with Jobfetch.' >&2\n  exit 3\nfi\n\
         exit 0\n"
    );
    out
}

/// `value` in single quotes for bash: nothing inside is expanded, and a `'` is closed, escaped and
/// reopened.
pub(super) fn sh_quote(value: &str) -> String {
    format!("'{}'", value.replace('\'', r"'\''"))
}

const CURL_HEADER: &str = "\
# Written by Jobfetch. Run it with bash from the folder that should hold the files:
#     bash <this script> [TOKEN...]
# Each file is fetched to <file>.part (resumed if the script is run again), checked against its size
# and SHA-256 where known, and only then renamed into place. Files already present and whole are left
# alone. Exit status: 0 when every file is here, 1 if any failed, 2 if curl or a token is missing,
# 3 if some files were left for Jobfetch (see the comments below).
";

const CURL_PRELUDE: &str = r#"if ! command -v curl >/dev/null 2>&1; then
  echo 'This script needs curl: install it and run the script again.' >&2
  exit 2
fi
RETRIES=${JOBFETCH_CURL_RETRIES:-5}

HAVE_SHA256=1
if command -v sha256sum >/dev/null 2>&1; then
  sha256_of() { sha256sum < "$1" | cut -d ' ' -f 1; }
elif command -v shasum >/dev/null 2>&1; then
  sha256_of() { shasum -a 256 < "$1" | cut -d ' ' -f 1; }
else
  HAVE_SHA256=0
  echo 'Neither sha256sum nor shasum was found: SHA-256 digests will not be checked.' >&2
fi

file_size() { wc -c < "$1" | tr -d ' '; }

# whole FILE SIZE SHA256: true if FILE exists with that size and SHA-256 ('-' for not known).
whole() {
  [ -f "$1" ] || return 1
  if [ "$2" != - ] && [ "$(file_size "$1")" != "$2" ]; then return 1; fi
  if [ "$3" != - ] && [ "$HAVE_SHA256" = 1 ] && [ "$(sha256_of "$1")" != "$3" ]; then return 1; fi
  return 0
}
"#;

const CURL_FETCH: &str = r#"
if [ -t 2 ]; then PROGRESS=(--progress-bar); else PROGRESS=(--silent --show-error); fi

# get PART URL ARCHIVE: one curl run, resuming PART; prints the HTTP status, returns curl's.
# curl retries busy servers (429, 5xx) itself; broken connections are retried by fetch, which then
# resumes from what arrived instead of starting the file over as curl's own retry would.
get() {
  if [ "$3" = - ]; then
    curl --fail --location --globoff --proto =http,https --proto-redir =http,https --create-dirs -C - \
      --retry "$RETRIES" "${PROGRESS[@]}" -w '%{http_code}' -o "$1" "$2"
  else
    curl --fail --location --globoff --proto =http,https --proto-redir =http,https --create-dirs -C - \
      --retry "$RETRIES" "${PROGRESS[@]}" -w '%{http_code}' -H @<(auth_header "$3") -o "$1" "$2"
  fi
}

FETCHED=0
PRESENT=0
FAILED=0

# fetch FILE URL SIZE SHA256 ARCHIVE: SIZE and SHA256 are '-' when not known, ARCHIVE is '-' when the
# request needs no token.
fetch() {
  local out=$1 url=$2 size=$3 sha=$4 archive=$5
  local part="$out.part" status=0 code='' tries=0
  if whole "$out" "$size" "$sha"; then
    PRESENT=$((PRESENT + 1))
    return 0
  fi
  # A leftover .part as big as the file, or bigger, cannot be resumed.
  if [ "$size" != - ] && [ -f "$part" ] && [ "$(file_size "$part")" -ge "$size" ]; then
    rm -f -- "$part"
  fi
  printf 'Fetching %s\n' "$out" >&2
  while :; do
    status=0
    code=$(get "$part" "$url" "$archive") || status=$?
    tries=$((tries + 1))
    if [ "$status" -eq 0 ] || [ "$tries" -gt "$RETRIES" ]; then break; fi
    case $status in
      # The server cannot resume, or says the partial file is already whole: start the file over.
      33) rm -f -- "$part" ;;
      22) case $code in *416) rm -f -- "$part" ;; *) break ;; esac ;;
      # The connection broke or stalled: wait a little, then resume where it stopped.
      7|16|18|28|52|55|56|92) sleep "$tries" ;;
      *) break ;;
    esac
  done
  if [ "$status" -ne 0 ]; then
    printf 'FAILED: %s (curl exit status %s, HTTP %s)\n' "$out" "$status" "${code:-none}" >&2
    FAILED=$((FAILED + 1))
    return 1
  fi
  if ! whole "$part" "$size" "$sha"; then
    printf 'FAILED: %s does not have the expected size or SHA-256; removed.\n' "$out" >&2
    rm -f -- "$part"
    FAILED=$((FAILED + 1))
    return 1
  fi
  mv -f -- "$part" "$out"
  FETCHED=$((FETCHED + 1))
}
"#;
