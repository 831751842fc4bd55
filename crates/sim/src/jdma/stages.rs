//! JDMA's request types, request stages and batch stages, with the server's numeric codes and the order stages happen in.

/// `MigrationRequest.request_type`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum RequestType {
    Put,
    Get,
    Migrate,
    Delete,
}

/// `MigrationRequest.FAILED`: `failure_reason` is set.
pub(crate) const FAILED: u16 = 1000;
/// `MigrationRequest.FAILED_COMPLETED`: a failed PUT or MIGRATE once its files are unlocked.
pub(crate) const FAILED_COMPLETED: u16 = 1001;

pub(crate) const PUT_BUILDING: u16 = 1;
pub(crate) const PUTTING: u16 = 4;
pub(crate) const PUT_TIDY: u16 = 8;
pub(crate) const PUT_COMPLETED: u16 = 9;
pub(crate) const GET_UNPACKING: u16 = 103;
pub(crate) const DELETING: u16 = 202;
pub(crate) const DELETE_COMPLETED: u16 = 204;

/// PUT and MIGRATE in the order they happen: PACKING (3) comes before PENDING (2).
const PUT_STAGES: [u16; 10] = [
    0,
    PUT_BUILDING,
    3,
    2,
    PUTTING,
    5,
    6,
    7,
    PUT_TIDY,
    PUT_COMPLETED,
];
/// GET_START, GET_PENDING, GETTING, GET_UNPACKING, GET_RESTORE, GET_TIDY, GET_COMPLETED.
const GET_STAGES: [u16; 7] = [100, 101, 102, GET_UNPACKING, 104, 105, 106];
/// DELETE_START, DELETE_PENDING, DELETING, DELETE_TIDY, DELETE_COMPLETED.
const DELETE_STAGES: [u16; 5] = [200, 201, DELETING, 203, DELETE_COMPLETED];

impl RequestType {
    /// What the client sends as `request_type`.
    pub(crate) fn parse(name: &str) -> Option<RequestType> {
        match name {
            "PUT" => Some(RequestType::Put),
            "GET" => Some(RequestType::Get),
            "MIGRATE" => Some(RequestType::Migrate),
            "DELETE" => Some(RequestType::Delete),
            _ => None,
        }
    }

    /// What the server answers as `request_type`.
    pub(crate) fn code(self) -> u8 {
        match self {
            RequestType::Put => 0,
            RequestType::Get => 1,
            RequestType::Migrate => 2,
            RequestType::Delete => 3,
        }
    }

    /// PUT or MIGRATE: the request that makes a batch.
    pub(crate) fn uploads(self) -> bool {
        matches!(self, RequestType::Put | RequestType::Migrate)
    }

    /// The stage codes this type of request goes through, in the order they happen.
    pub(crate) fn stages(self) -> &'static [u16] {
        match self {
            RequestType::Put | RequestType::Migrate => &PUT_STAGES,
            RequestType::Get => &GET_STAGES,
            RequestType::Delete => &DELETE_STAGES,
        }
    }
}

/// `Migration.stage`: where a batch is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum BatchStage {
    OnDisk,
    Putting,
    OnStorage,
    Failed,
    Deleting,
    Deleted,
}

impl BatchStage {
    pub(crate) fn code(self) -> u8 {
        match self {
            BatchStage::OnDisk => 0,
            BatchStage::Putting => 1,
            BatchStage::OnStorage => 2,
            BatchStage::Failed => 3,
            BatchStage::Deleting => 4,
            BatchStage::Deleted => 5,
        }
    }

    /// `Migration.STAGE_CHOICES`' name, as error messages spell it.
    pub(crate) fn name(self) -> &'static str {
        match self {
            BatchStage::OnDisk => "ON_DISK",
            BatchStage::Putting => "PUTTING",
            BatchStage::OnStorage => "ON_STORAGE",
            BatchStage::Failed => "FAILED",
            BatchStage::Deleting => "DELETING",
            BatchStage::Deleted => "DELETED",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn put_packs_before_pending_so_codes_do_not_sort_in_order() {
        let stages = RequestType::Put.stages();
        let packing = stages.iter().position(|&s| s == 3).unwrap();
        let pending = stages.iter().position(|&s| s == 2).unwrap();
        assert!(packing < pending);
        assert_eq!(stages.first(), Some(&0));
        assert_eq!(stages.last(), Some(&PUT_COMPLETED));
    }
}
