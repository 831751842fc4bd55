// Written from src-tauri/src/command_table.rs by `make bindings`. Do not edit.

/** Every command the backend answers. */
export type Command =
  | "startup_state"
  | "add_account"
  | "sign_in"
  | "resume_session"
  | "sign_out"
  | "remove_account"
  | "list_jobs"
  | "job_outputs"
  | "download_folder"
  | "start_download"
  | "watch_transfers"
  | "pause_batch"
  | "resume_batch"
  | "cancel_batch"
  | "retry_failed"
  | "pause_item"
  | "resume_item"
  | "cancel_item"
  | "open_folder"
  | "bandwidth_limit"
  | "set_bandwidth_limit"
  | "preview_details"
  | "cancel_previews"
  | "downloaded_outputs"
;
