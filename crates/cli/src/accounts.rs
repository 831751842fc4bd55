//! `jobfetch account add|list|remove|sign-in`: the same accounts the app has, from a terminal.

use std::collections::BTreeMap;

use jobfetch_appkit::Desk;
use jobfetch_engine::ids::AccountId;
use jobfetch_engine::providers::{Account, FieldValues};
use jobfetch_engine::{Error, ErrorCode, Result};

/// Adds an account of `archive` from `--set key=value` pairs; secret fields not given come from the
/// archive's environment variable or a prompt.
pub async fn add(desk: &Desk, archive: &str, pairs: &[String]) -> Result<()> {
    let provider = desk.registry().find(archive)?;
    let mut values: FieldValues = BTreeMap::new();
    for pair in pairs {
        let (key, value) = pair.split_once('=').ok_or_else(|| {
            Error::invalid_input(format!(
                "{pair:?} is not key=value, e.g. --set username=ana."
            ))
        })?;
        let field = provider.info().fields.iter().find(|f| f.key == key);
        if let Some(field) = field.filter(|f| f.is_secret()) {
            return Err(Error::invalid_input(format!(
                "Give the {} {}, not on the command line, where it would stay in your shell history.",
                field.label.to_lowercase(),
                field.env.as_ref().map_or("at the prompt".to_string(), |var| format!("in ${var} or at the prompt"))
            )));
        }
        if field.is_none() {
            return Err(Error::invalid_input(format!(
                "{} has no setting {key:?}; it has {}.",
                provider.info().name,
                field_keys(provider.info())
            )));
        }
        values.insert(key.to_string(), value.to_string());
    }
    for field in &provider.info().fields {
        if values.contains_key(&field.key) || !field.is_secret() {
            continue;
        }
        let from_env = field.env.as_deref().and_then(|var| {
            std::env::var(var)
                .ok()
                .filter(|v| !v.is_empty())
                .map(|v| (var, v))
        });
        let value = match from_env {
            Some((var, value)) => {
                eprintln!(
                    "jobfetch: using the {} in ${var}.",
                    field.label.to_lowercase()
                );
                Some(value)
            }
            None => crate::desk::prompt(&format!("{} {}: ", provider.info().name, field.label))
                .map(|secret| secret.expose().to_string()),
        };
        if let Some(value) = value {
            values.insert(field.key.clone(), value);
        }
    }
    let missing: Vec<&str> = provider
        .info()
        .fields
        .iter()
        .filter(|f| f.required && f.default.is_none() && !values.contains_key(&f.key))
        .map(|f| f.key.as_str())
        .collect();
    if !missing.is_empty() {
        return Err(Error::invalid_input(format!(
            "{} needs {}: give them with --set KEY=VALUE{}.",
            provider.info().name,
            missing.join(", "),
            secret_hint(provider.info())
        )));
    }
    let signed_in = desk.add_account(&provider.info().id, values, false).await?;
    println!(
        "Added {} ({}), signed in as {}.",
        signed_in.account.id, signed_in.account.label, signed_in.profile.username
    );
    Ok(())
}

fn field_keys(info: &jobfetch_engine::providers::ProviderInfo) -> String {
    info.fields
        .iter()
        .map(|f| f.key.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

fn secret_hint(info: &jobfetch_engine::providers::ProviderInfo) -> String {
    let vars: Vec<String> = info
        .fields
        .iter()
        .filter(|f| f.is_secret())
        .filter_map(|f| f.env.as_ref().map(|var| format!("${var}")))
        .collect();
    if vars.is_empty() {
        String::new()
    } else {
        format!(
            " (secrets from {} or a prompt, never the command line)",
            vars.join(", ")
        )
    }
}

/// How to add an account, with the archives Jobfetch knows.
fn how_to_add(desk: &Desk) -> String {
    let ids: Vec<String> = desk
        .providers()
        .iter()
        .map(|info| info.id.to_string())
        .collect();
    format!(
        "Add one with `jobfetch account add {} --set KEY=VALUE...` (`jobfetch account archives` lists each archive's settings).",
        ids.first().map_or("ARCHIVE", String::as_str)
    ) + &if ids.len() > 1 {
        format!(" Archives: {}.", ids.join(", "))
    } else {
        String::new()
    }
}

/// Prints every archive Jobfetch knows with the settings an account of it takes.
pub fn archives(desk: &Desk) {
    for info in desk.providers() {
        println!("{} ({}): {}", info.id, info.name, info.summary);
        for field in &info.fields {
            let mut notes = Vec::new();
            if field.required && field.default.is_none() {
                notes.push("required".to_string());
            }
            if let Some(default) = &field.default {
                notes.push(format!("default {default}"));
            }
            let setting = if field.is_secret() {
                match &field.env {
                    Some(var) => format!("${var} or a prompt"),
                    None => "a prompt".to_string(),
                }
            } else {
                format!("--set {}=…", field.key)
            };
            println!(
                "  {setting}  {}{}{}",
                field.label,
                if notes.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", notes.join("; "))
                },
                if field.help.is_empty() {
                    String::new()
                } else {
                    format!(". {}", field.help)
                }
            );
            for suggestion in &field.suggestions {
                println!("      {}  {}", suggestion.value, suggestion.label);
            }
        }
    }
}

/// Prints the accounts, the active one marked with `*`.
pub fn list(desk: &Desk, json: bool) -> Result<()> {
    let saved = desk.accounts()?;
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&saved.accounts).expect("accounts serialize")
        );
        return Ok(());
    }
    if saved.accounts.is_empty() {
        println!(
            "No accounts yet. Add one with: jobfetch account add desaccess --set username=NAME"
        );
        return Ok(());
    }
    let width = saved
        .accounts
        .iter()
        .map(|a| a.id.as_str().len())
        .max()
        .unwrap_or(0);
    for account in &saved.accounts {
        let mark = if saved.active.as_ref() == Some(&account.id) {
            "*"
        } else {
            " "
        };
        println!("{mark} {:<width$}  {}", account.id.as_str(), account.label);
    }
    Ok(())
}

/// Removes an account and every secret it kept.
pub async fn remove(desk: &Desk, wanted: &str) -> Result<()> {
    let account = pick(desk, Some(wanted))?;
    desk.remove_account(&account.id).await?;
    println!("Removed {} and its secrets.", account.id);
    Ok(())
}

/// Signs an account in again, asking for its secrets afresh.
pub async fn sign_in(desk: &Desk, wanted: &str) -> Result<()> {
    let account = pick(desk, Some(wanted))?;
    let provider = desk.registry().get(&account.provider)?;
    let pairs: Vec<String> = account
        .settings
        .iter()
        .map(|(key, value)| format!("{key}={value}"))
        .collect();
    add(desk, provider.info().id.as_str(), &pairs).await
}

/// The account `wanted` names (its id, or a unique part of its id or label); without a name, the
/// active account, or the only one.
pub fn pick(desk: &Desk, wanted: Option<&str>) -> Result<Account> {
    let saved = desk.accounts()?;
    let no_accounts = || {
        Error::new(
            ErrorCode::NotSignedIn,
            format!(
                "No account yet. {} Or give a job folder URL instead of a job id.",
                how_to_add(desk)
            ),
        )
    };
    let Some(wanted) = wanted else {
        let active = saved
            .active
            .as_ref()
            .and_then(|id| saved.accounts.iter().find(|a| &a.id == id));
        return match (active, saved.accounts.as_slice()) {
            (Some(account), _) => Ok(account.clone()),
            (None, [only]) => Ok(only.clone()),
            (None, []) => Err(no_accounts()),
            (None, _) => Err(Error::invalid_input(
                "Several accounts: say which with --account (see `jobfetch account list`).",
            )),
        };
    };
    if let Ok(id) = AccountId::try_from(wanted.to_string()) {
        if let Some(account) = saved.accounts.iter().find(|a| a.id == id) {
            return Ok(account.clone());
        }
    }
    let matches: Vec<&Account> = saved
        .accounts
        .iter()
        .filter(|a| a.id.as_str().contains(wanted) || a.label.contains(wanted))
        .collect();
    match matches.as_slice() {
        [one] => Ok((*one).clone()),
        [] if saved.accounts.is_empty() => Err(no_accounts()),
        [] => Err(Error::new(
            ErrorCode::NotFound,
            format!("No account matches {wanted:?}; see `jobfetch account list`."),
        )),
        _ => Err(Error::invalid_input(format!(
            "{wanted:?} matches several accounts; give more of the id (see `jobfetch account list`)."
        ))),
    }
}
