//! UP42's job and task statuses (both APIs' words, both spellings of NOT STARTED) as Jobfetch's.

use crate::catalog::JobStatus;

/// The status a UP42 word means, and the word itself as the message where Jobfetch's status says less
/// (a cancelled job is failed to Jobfetch, `CANCELLED` to the user).
pub fn of(word: &str) -> (JobStatus, String) {
    let normal = word.trim().to_ascii_uppercase().replace([' ', '-'], "_");
    let status = match normal.as_str() {
        // The seed API's words.
        "NOT_STARTED" | "PENDING" => JobStatus::Init,
        "RUNNING" => JobStatus::Started,
        "SUCCEEDED" => JobStatus::Success,
        "FAILED" | "ERROR" | "CANCELLING" | "CANCELLED" => JobStatus::Failure,
        // The processing API's (lower case there).
        "CREATED" | "LICENSED" | "VALID" | "ACCEPTED" => JobStatus::Init,
        "SUCCESSFUL" | "CAPTURED" | "RELEASED" => JobStatus::Success,
        "INVALID" | "REJECTED" | "UNLICENSED" => JobStatus::Failure,
        _ => JobStatus::Unknown,
    };
    let says_more = matches!(
        normal.as_str(),
        "ERROR"
            | "CANCELLING"
            | "CANCELLED"
            | "INVALID"
            | "REJECTED"
            | "UNLICENSED"
            | "CAPTURED"
            | "RELEASED"
    ) || status == JobStatus::Unknown;
    let message = if says_more {
        word.trim().to_string()
    } else {
        String::new()
    };
    (status, message)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_spellings_of_not_started_and_both_apis_words_are_known() {
        for word in [
            "NOT STARTED",
            "NOT_STARTED",
            "PENDING",
            "created",
            "accepted",
        ] {
            assert_eq!(of(word).0, JobStatus::Init, "{word}");
        }
        assert_eq!(of("RUNNING").0, JobStatus::Started);
        assert_eq!(of("running").0, JobStatus::Started);
        assert_eq!(of("SUCCEEDED"), (JobStatus::Success, String::new()));
        assert_eq!(of("captured"), (JobStatus::Success, "captured".into()));
        assert_eq!(of("CANCELLED"), (JobStatus::Failure, "CANCELLED".into()));
        assert_eq!(of("FAILED"), (JobStatus::Failure, String::new()));
        assert_eq!(of("HALF_DONE"), (JobStatus::Unknown, "HALF_DONE".into()));
    }
}
