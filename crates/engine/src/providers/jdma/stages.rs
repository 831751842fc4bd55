//! JDMA's request types, request stages and batch stages: the server's numeric codes and names, the
//! order each type of request goes through its stages (which is not the order of their codes: a PUT
//! packs, code 3, before it is pending, code 2), and a request's progress as the generic
//! [`JobStages`] timeline in that order.

use serde::Serialize;
use ts_rs::TS;

use crate::catalog::{JobStages, JobStatus, JobStep, StepState};

/// `MigrationRequest.request_type`: what a request does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "UPPERCASE")]
#[ts(export, rename = "JdmaRequestKind")]
pub enum RequestKind {
    /// Copies files of a group workspace to storage as a new batch.
    Put,
    /// Brings a batch (or some of its files) back to a folder.
    Get,
    /// A PUT that deletes the originals once the copy is verified.
    Migrate,
    /// Deletes a batch from storage.
    Delete,
}

/// `MigrationRequest.FAILED`: the request stopped; its `failure_reason` says why.
pub const FAILED: u16 = 1000;
/// `MigrationRequest.FAILED_COMPLETED`: a failed request, tidied up.
pub const FAILED_COMPLETED: u16 = 1001;

/// Every request stage the server has: code and `models.py` name.
const STAGE_NAMES: [(u16, &str); 24] = [
    (0, "PUT_START"),
    (1, "PUT_BUILDING"),
    (2, "PUT_PENDING"),
    (3, "PUT_PACKING"),
    (4, "PUTTING"),
    (5, "VERIFY_PENDING"),
    (6, "VERIFY_GETTING"),
    (7, "VERIFYING"),
    (8, "PUT_TIDY"),
    (9, "PUT_COMPLETED"),
    (100, "GET_START"),
    (101, "GET_PENDING"),
    (102, "GETTING"),
    (103, "GET_UNPACKING"),
    (104, "GET_RESTORE"),
    (105, "GET_TIDY"),
    (106, "GET_COMPLETED"),
    (200, "DELETE_START"),
    (201, "DELETE_PENDING"),
    (202, "DELETING"),
    (203, "DELETE_TIDY"),
    (204, "DELETE_COMPLETED"),
    (FAILED, "FAILED"),
    (FAILED_COMPLETED, "FAILED_COMPLETED"),
];

/// PUT and MIGRATE in the order JDMA's documentation (`transfer_states.rst`) gives: START, BUILDING,
/// PACKING, PENDING, PUTTING, VERIFY_PENDING, VERIFY_GETTING, VERIFYING, TIDY, COMPLETED.
const PUT_ORDER: [u16; 10] = [0, 1, 3, 2, 4, 5, 6, 7, 8, 9];
const GET_ORDER: [u16; 7] = [100, 101, 102, 103, 104, 105, 106];
const DELETE_ORDER: [u16; 5] = [200, 201, 202, 203, 204];

impl RequestKind {
    /// The kind a server's `request_type` number means.
    pub fn from_code(code: u64) -> Option<RequestKind> {
        match code {
            0 => Some(RequestKind::Put),
            1 => Some(RequestKind::Get),
            2 => Some(RequestKind::Migrate),
            3 => Some(RequestKind::Delete),
            _ => None,
        }
    }

    /// What a request body's `request_type` says: `PUT`, `GET`, `MIGRATE`, `DELETE`.
    pub fn name(self) -> &'static str {
        match self {
            RequestKind::Put => "PUT",
            RequestKind::Get => "GET",
            RequestKind::Migrate => "MIGRATE",
            RequestKind::Delete => "DELETE",
        }
    }

    /// The stage codes this kind goes through, in the order they happen.
    pub fn order(self) -> &'static [u16] {
        match self {
            RequestKind::Put | RequestKind::Migrate => &PUT_ORDER,
            RequestKind::Get => &GET_ORDER,
            RequestKind::Delete => &DELETE_ORDER,
        }
    }
}

/// The server's name of a request stage, or `stage <code>` for one Jobfetch does not know.
pub fn stage_name(code: u16) -> String {
    STAGE_NAMES
        .iter()
        .find(|(known, _)| *known == code)
        .map_or_else(|| format!("stage {code}"), |(_, name)| (*name).to_string())
}

/// Whether a request at `stage` will change no more.
pub fn has_ended(kind: RequestKind, stage: u16) -> bool {
    is_failed(stage) || kind.order().last() == Some(&stage)
}

pub fn is_failed(stage: u16) -> bool {
    matches!(stage, FAILED | FAILED_COMPLETED)
}

/// A request's stage as Jobfetch's job status: queued at its first stage, running through the
/// others, succeeded at its last, failed when FAILED.
pub fn job_status(kind: RequestKind, stage: u16) -> JobStatus {
    let order = kind.order();
    match order.iter().position(|&code| code == stage) {
        _ if is_failed(stage) => JobStatus::Failure,
        Some(0) => JobStatus::Init,
        Some(i) if i + 1 == order.len() => JobStatus::Success,
        Some(_) => JobStatus::Started,
        None => JobStatus::Unknown,
    }
}

/// `Migration.stage`: a batch on storage, which a GET can bring back.
pub const ON_STORAGE: u64 = 2;
/// `Migration.stage`: a batch a DELETE is removing from storage.
pub const DELETING: u64 = 4;
/// `Migration.stage`: a batch removed from storage.
pub const DELETED: u64 = 5;

/// `Migration.stage`'s name: where a batch is.
pub fn batch_stage_name(code: u64) -> String {
    match code {
        0 => "ON_DISK".into(),
        1 => "PUTTING".into(),
        ON_STORAGE => "ON_STORAGE".into(),
        3 => "FAILED".into(),
        DELETING => "DELETING".into(),
        DELETED => "DELETED".into(),
        other => format!("stage {other}"),
    }
}

/// A batch's stage as Jobfetch's job status: on storage (or deleted) is done, on its way is running.
pub fn batch_status(code: u64) -> JobStatus {
    match code {
        0 => JobStatus::Init,
        1 | 4 => JobStatus::Started,
        2 | 5 => JobStatus::Success,
        3 => JobStatus::Failure,
        _ => JobStatus::Unknown,
    }
}

/// A `kind` request's stages at `stage`, in the order they happen, each done, current, waiting or
/// failed, with the server's names; `reason` is its `failure_reason`. For a failed request,
/// `failed_after` is the last stage it was seen at before it failed (if it was seen running), marked
/// as the one that failed.
pub fn timeline(
    kind: RequestKind,
    stage: u16,
    failed_after: Option<u16>,
    reason: Option<String>,
) -> JobStages {
    let order = kind.order();
    let failed = is_failed(stage);
    let (at, state_at) = if failed {
        let at = failed_after.and_then(|seen| order.iter().position(|&c| c == seen));
        (at, StepState::Failed)
    } else {
        let at = order.iter().position(|&c| c == stage);
        let last = at.is_some_and(|i| i + 1 == order.len());
        (
            at,
            if last {
                StepState::Done
            } else {
                StepState::Current
            },
        )
    };
    let steps = order
        .iter()
        .enumerate()
        .map(|(i, &code)| JobStep {
            name: stage_name(code),
            state: match at {
                Some(at) if i < at => StepState::Done,
                Some(at) if i == at => state_at,
                _ => StepState::Waiting,
            },
        })
        .collect();
    JobStages {
        stage: stage_name(stage),
        steps,
        ended: has_ended(kind, stage),
        failed,
        reason: reason.filter(|_| failed),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// How many steps are done (the current one not counted; a completed request's last one is).
    fn done(stages: &JobStages) -> usize {
        stages
            .steps
            .iter()
            .filter(|step| step.state == StepState::Done)
            .count()
    }

    #[test]
    fn a_put_packs_before_it_is_pending_though_its_code_is_higher() {
        let packing = timeline(RequestKind::Put, 3, None, None);
        let names: Vec<&str> = packing.steps.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "PUT_START",
                "PUT_BUILDING",
                "PUT_PACKING",
                "PUT_PENDING",
                "PUTTING",
                "VERIFY_PENDING",
                "VERIFY_GETTING",
                "VERIFYING",
                "PUT_TIDY",
                "PUT_COMPLETED"
            ]
        );
        // At PACKING (3), PENDING (2) is still to come: sorting by code would call it done.
        assert_eq!(packing.steps[2].state, StepState::Current);
        assert_eq!(packing.steps[3].state, StepState::Waiting);
        assert_eq!(done(&packing), 2);
        let pending = timeline(RequestKind::Migrate, 2, None, None);
        assert_eq!(done(&pending), 3);
        assert_eq!(job_status(RequestKind::Put, 2), JobStatus::Started);
    }

    #[test]
    fn ends_and_failures() {
        let completed = timeline(RequestKind::Get, 106, None, Some("stale".into()));
        assert!(completed.ended && !completed.failed && done(&completed) == 7);
        assert_eq!(completed.reason, None, "only a failed request has a reason");
        assert_eq!(job_status(RequestKind::Get, 106), JobStatus::Success);
        assert_eq!(job_status(RequestKind::Get, 100), JobStatus::Init);
        let failed = timeline(
            RequestKind::Get,
            FAILED,
            Some(102),
            Some("tape drive on fire".into()),
        );
        assert!(failed.ended && failed.failed);
        assert_eq!(failed.stage, "FAILED");
        assert_eq!(failed.reason.as_deref(), Some("tape drive on fire"));
        assert_eq!(failed.steps[2].state, StepState::Failed);
        assert_eq!(done(&failed), 2);
        let unseen = timeline(RequestKind::Delete, FAILED_COMPLETED, None, None);
        assert!(unseen.steps.iter().all(|s| s.state == StepState::Waiting));
        assert_eq!(
            job_status(RequestKind::Delete, FAILED_COMPLETED),
            JobStatus::Failure
        );
        assert_eq!(job_status(RequestKind::Delete, 7), JobStatus::Unknown);
        assert_eq!(stage_name(77), "stage 77");
        assert_eq!(RequestKind::from_code(2), Some(RequestKind::Migrate));
        assert_eq!(batch_stage_name(2), "ON_STORAGE");
    }
}
