//! The MAST token: checked with `/whoami` (sent as the `mast_token` cookie, as astroquery does), then
//! sent as `Authorization: token …` to MAST's own host only. MAST tokens cannot be renewed by a
//! program, so a refused token says where to make a new one.

use reqwest::header::{HeaderValue, ACCEPT, COOKIE};
use serde::Deserialize;

use crate::error::{Error, ErrorCode, Result};
use crate::http;
use crate::secret::Secret;
use crate::transfer::auth::{BoxFuture, Credentials};

/// Where MAST users make tokens.
pub const TOKEN_PAGE: &str =
    "https://auth.mast.stsci.edu/token?suggested_name=Jobfetch&suggested_scope=mast:exclusive_access";

/// Who MAST says the caller is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WhoAmI {
    pub anonymous: bool,
    pub display_name: String,
    pub username: String,
    pub email: String,
}

#[derive(Deserialize)]
struct Reply {
    #[serde(default = "yes")]
    anon: bool,
    #[serde(default)]
    ezid: Option<String>,
    #[serde(default)]
    attrib: Option<Attributes>,
}

#[derive(Deserialize, Default)]
struct Attributes {
    #[serde(default)]
    display_name: Option<String>,
    #[serde(default)]
    email: Option<String>,
}

fn yes() -> bool {
    true
}

/// Reads a `/whoami` reply.
fn parse(body: &[u8], what: &str) -> Result<WhoAmI> {
    let reply: Reply = http::parse_json(body, what)?;
    let attributes = reply.attrib.unwrap_or_default();
    Ok(WhoAmI {
        anonymous: reply.anon,
        username: reply.ezid.unwrap_or_default(),
        display_name: attributes.display_name.unwrap_or_default(),
        email: attributes.email.unwrap_or_default(),
    })
}

/// Asks MAST who `token` belongs to; without a token, the anonymous answer. A token MAST does not
/// accept is `AuthFailed`, saying where to make a new one.
pub async fn whoami(
    client: &reqwest::Client,
    base: &str,
    token: Option<&Secret>,
) -> Result<WhoAmI> {
    let url = format!("{}/whoami", base.trim_end_matches('/'));
    let what = format!("MAST ({base})");
    let mut request = client.get(&url).header(ACCEPT, "application/json");
    if let Some(token) = token {
        let mut cookie =
            HeaderValue::from_str(&format!("mast_token={}", token.expose())).map_err(|_| {
                Error::invalid_input("That MAST token has characters no token has; paste it again.")
            })?;
        cookie.set_sensitive(true);
        request = request.header(COOKIE, cookie);
    }
    let response = request
        .send()
        .await
        .map_err(|err| Error::network(&what, &err))?;
    let status = response.status();
    if status == reqwest::StatusCode::UNAUTHORIZED || status == reqwest::StatusCode::FORBIDDEN {
        return Err(refused());
    }
    if !status.is_success() {
        return Err(Error::http_status(&what, status));
    }
    let body = http::read_limited(response, &what, 1 << 20).await?;
    let who = parse(&body, &what)?;
    if token.is_some() && who.anonymous {
        return Err(refused());
    }
    Ok(who)
}

/// The error for a token MAST does not accept.
pub fn refused() -> Error {
    Error::new(
        ErrorCode::AuthFailed,
        format!(
            "MAST refused your token: it may have expired or been revoked. Make a new one at {TOKEN_PAGE} and sign in with it."
        ),
    )
}

/// A MAST token as the credentials of downloads and previews.
pub struct Token(pub Secret);

impl Credentials for Token {
    fn authorization(&self) -> Option<HeaderValue> {
        let mut value = HeaderValue::from_str(&format!("token {}", self.0.expose())).ok()?;
        value.set_sensitive(true);
        Some(value)
    }

    /// MAST tokens are made by people on MAST's site, not renewed by programs.
    fn refresh(&self) -> BoxFuture<'_, Result<()>> {
        Box::pin(async { Err(refused()) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whoami_replies_are_read_in_both_shapes() {
        let signed_in = br#"{"eppn":"alice@stsci.edu","ezid":"alice",
            "attrib":{"uuid":"u","first_name":"A.","last_name":"User","display_name":"A. User","internal":"0","email":"a@stsci.edu","Jwstcalengdataaccess":"false"},
            "anon":false,"scopes":["mast:user:info","mast:exclusive_access"],"session":null,"token":"56a9cf3d"}"#;
        let who = parse(signed_in, "MAST").unwrap();
        assert!(!who.anonymous);
        assert_eq!(
            (who.username.as_str(), who.display_name.as_str()),
            ("alice", "A. User")
        );
        let anonymous = parse(br#"{"anon":true,"scopes":[],"session":null}"#, "MAST").unwrap();
        assert!(anonymous.anonymous);
        assert!(parse(b"<html>", "MAST").is_err());
    }

    #[test]
    fn the_token_goes_as_token_scheme_and_never_prints() {
        let token = Token(Secret::new("abc123"));
        let header = token.authorization().unwrap();
        assert!(header.is_sensitive());
        assert_eq!(header.to_str().unwrap(), "token abc123");
        assert!(refused().message.contains("MAST refused your token"));
    }
}
