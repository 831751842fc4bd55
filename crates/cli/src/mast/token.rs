//! Which MAST token downloads carry, found as MAST's own scripts find it (an environment variable, else
//! a prompt) with a saved MAST account in between; never from the command line, never written down.

use std::io::IsTerminal;
use std::sync::Arc;

use jobfetch_appkit::Desk;
use jobfetch_engine::ids::{AccountId, ProviderId};
use jobfetch_engine::providers::mast::search;
use jobfetch_engine::providers::mast::token::{self, Token, TOKEN_PAGE};
use jobfetch_engine::providers::mast::{
    base_address, BASE, DEFAULT_BASE, TOKEN_ENV, TRUSTED_HOSTS,
};
use jobfetch_engine::providers::Account;
use jobfetch_engine::secret::Secret;
use jobfetch_engine::transfer::model::AuthPolicy;
use jobfetch_engine::{Error, Result};

/// Where the token comes from.
#[derive(clap::Args, Debug, Clone)]
pub struct TokenOption {
    /// The environment variable holding your MAST token (the token itself never goes on the command
    /// line). Without it: a saved MAST account for the same MAST, else a prompt, else none.
    #[arg(long, value_name = "VAR", default_value = TOKEN_ENV)]
    token_env: String,
}

/// How a batch's downloads authenticate.
pub struct Auth {
    /// The account whose token the items carry; `None` downloads anonymously.
    pub account: Option<AccountId>,
    /// Hosts besides MAST's that the token may follow a redirect to (a saved account's setting).
    trusted: Vec<String>,
    /// What to do when files fail: given for anonymous runs that have exclusive-access files.
    pub advice: Option<String>,
}

impl Auth {
    /// Downloads without a token, with nothing to advise.
    pub fn anonymous() -> Self {
        Auth {
            account: None,
            trusted: Vec::new(),
            advice: None,
        }
    }

    /// The account that items needing the token name: the token's, or without one the account a
    /// token for the MAST at `base` is registered under, so that running the same command again with
    /// a token sends it with the files that failed without (an account with no token registered
    /// sends nothing).
    pub fn carried(&self, base: &str) -> Result<AccountId> {
        match &self.account {
            Some(account) => Ok(account.clone()),
            None => token_account(base),
        }
    }

    /// What goes with requests for products of the MAST at `base`: the [`carried`](Self::carried)
    /// account's token, to MAST's host and the trusted hosts only.
    pub fn policy(&self, base: &str) -> Result<AuthPolicy> {
        search::token_policy(base, Some(&self.carried(base)?), &self.trusted)
    }
}

impl TokenOption {
    /// The token for downloads from the MAST at `base`, of which `protected` of `total` files are
    /// exclusive-access: the one in `--token-env`'s variable, else a saved account's, else (with
    /// protected files, on a terminal) one asked for, else none. A token MAST refuses is an error,
    /// before anything is downloaded.
    pub async fn choose(
        &self,
        desk: &Desk,
        base: &str,
        protected: usize,
        total: usize,
    ) -> Result<Auth> {
        if let Some(token) = std::env::var(&self.token_env)
            .ok()
            .filter(|t| !t.is_empty())
        {
            let account = register(desk, base, Secret::new(token)).await?;
            eprintln!("jobfetch: using the MAST token in ${}.", self.token_env);
            return Ok(signed_in(account));
        }
        if let Some(account) = saved_account(desk, base)? {
            desk.session(&account.id).await?;
            eprintln!("jobfetch: using the MAST account {}.", account.id);
            let trusted = account
                .settings
                .get(TRUSTED_HOSTS)
                .map_or("", String::as_str);
            return Ok(Auth {
                trusted: trusted
                    .split(',')
                    .filter(|h| !h.is_empty())
                    .map(str::to_string)
                    .collect(),
                ..signed_in(account.id)
            });
        }
        if protected == 0 {
            return Ok(Auth::anonymous());
        }
        let how = self.how_to_give();
        if let Some(token) = self.ask(protected, total) {
            return Ok(signed_in(register(desk, base, token).await?));
        }
        eprintln!(
            "jobfetch: warning: {protected} of the {total} file(s) are in their exclusive-access \
             period and MAST will refuse them without a token: {how}."
        );
        Ok(Auth {
            advice: Some(format!(
                "{protected} file(s) are exclusive-access and need a MAST token: {how}, then run the same command again."
            )),
            ..Auth::anonymous()
        })
    }

    /// Asks for a token on the terminal; `None` without a terminal or for an empty answer.
    fn ask(&self, protected: usize, total: usize) -> Option<Secret> {
        if !std::io::stdin().is_terminal() {
            return None;
        }
        crate::desk::prompt(&format!(
            "{protected} of the {total} file(s) are exclusive-access. MAST token (empty: go on without): "
        ))
        .filter(|token| !token.expose().trim().is_empty())
        .map(|token| Secret::new(token.expose().trim()))
    }

    fn how_to_give(&self) -> String {
        format!(
            "put yours in ${} (make one at {TOKEN_PAGE}) or add a MAST account (jobfetch account add mast)",
            self.token_env
        )
    }
}

fn signed_in(account: AccountId) -> Auth {
    Auth {
        account: Some(account),
        ..Auth::anonymous()
    }
}

/// Checks `token` with MAST's `/whoami` and lets downloads carry it, under `mast:token@<host>`.
async fn register(desk: &Desk, base: &str, token: Secret) -> Result<AccountId> {
    let client = jobfetch_engine::http::client()?;
    token::whoami(&client, base, Some(&token)).await?;
    let account = token_account(base)?;
    desk.transfers
        .set_credentials(&account, Arc::new(Token(token)));
    Ok(account)
}

/// The account a token given for the MAST at `base` downloads as.
fn token_account(base: &str) -> Result<AccountId> {
    let server = search::host_of(base)
        .ok_or_else(|| Error::invalid_input(format!("{base:?} is not a MAST address.")))?;
    AccountId::new(&mast()?, "token", &server)
}

fn mast() -> Result<ProviderId> {
    ProviderId::new("mast")
}

/// A saved MAST account with a token (not an anonymous one) for the MAST at `base`.
fn saved_account(desk: &Desk, base: &str) -> Result<Option<Account>> {
    let mast = mast()?;
    Ok(desk.accounts()?.accounts.into_iter().find(|account| {
        let account_base = account
            .settings
            .get(BASE)
            .map_or(DEFAULT_BASE, String::as_str);
        account.provider == mast
            && account.id.user() != "anonymous"
            && base_address(account_base).is_ok_and(|b| b == base)
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_given_token_downloads_as_the_token_account_of_its_mast() {
        assert_eq!(
            token_account("http://127.0.0.1:9000").unwrap().as_str(),
            "mast:token@127.0.0.1:9000"
        );
        assert_eq!(
            token_account(DEFAULT_BASE).unwrap().as_str(),
            "mast:token@mast.stsci.edu"
        );
    }
}
