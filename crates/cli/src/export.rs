//! `jobfetch export`: a batch as a curl script or an aria2 input file, with each archive's token
//! named and sent as its provider declares.

use std::path::Path;
use std::process::ExitCode;

use jobfetch_engine::ids::ProviderId;
use jobfetch_engine::providers::Registry;
use jobfetch_engine::transfer::export::{aria2_input, curl_script, ExportItem};
use jobfetch_engine::transfer::{TransferConfig, Transfers};

use crate::{fail, state, ExportFormat};

pub fn run(state_dir: &Path, batch: i64, format: ExportFormat) -> ExitCode {
    let transfers = match Transfers::open(&state::queue_path(state_dir), TransferConfig::default())
    {
        Ok(transfers) => transfers,
        Err(err) => return fail(&err.message),
    };
    let (row, mut items) = match transfers
        .batch(batch)
        .and_then(|row| Ok((row, transfers.export_items(batch)?)))
    {
        Ok(found) => found,
        Err(err) => return fail(&err.message),
    };
    name_tokens(&Registry::builtin(), &mut items);
    print!(
        "{}",
        match format {
            ExportFormat::Curl => curl_script(&row.name, &items),
            ExportFormat::Aria2 => aria2_input(&items),
        }
    );
    ExitCode::SUCCESS
}

/// Gives each token an export asks for the archive's name and the environment variable its own tools
/// read it from, as the provider declares them (the queue knows only the provider's id).
fn name_tokens(registry: &Registry, items: &mut [ExportItem]) {
    for need in items
        .iter_mut()
        .filter_map(|item| item.needs_token.as_mut())
    {
        let provider = ProviderId::new(&need.archive)
            .ok()
            .and_then(|id| registry.get(&id).ok());
        if let Some(provider) = provider {
            let info = provider.info();
            need.env = info.token_env.clone();
            need.archive = info.name.clone();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jobfetch_engine::transfer::export::TokenNeed;

    #[test]
    fn tokens_take_the_archives_name_and_unknown_archives_keep_their_id() {
        let need = |archive: &str| ExportItem {
            url: Some("https://h/f".into()),
            file: "f".into(),
            size: None,
            digest: None,
            needs_token: Some(TokenNeed {
                archive: archive.into(),
                scheme: "Bearer".into(),
                env: None,
            }),
        };
        let mut items = [need("desaccess"), need("elsewhere")];
        name_tokens(&Registry::builtin(), &mut items);
        let named = items[0].needs_token.as_ref().unwrap();
        assert_eq!(
            (named.archive.as_str(), named.env.as_deref()),
            ("DESaccess", None)
        );
        assert_eq!(items[1].needs_token.as_ref().unwrap().archive, "elsewhere");
    }
}
