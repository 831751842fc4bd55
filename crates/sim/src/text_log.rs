//! Timestamped log text in the Python `logging` style of the DES workers.

use crate::clock::{self, UnixTime};

#[derive(Default)]
pub(crate) struct TextLog {
    text: String,
}

impl TextLog {
    pub(crate) fn info(&mut self, time: UnixTime, message: &str) {
        self.line(time, "INFO", message);
    }

    pub(crate) fn warning(&mut self, time: UnixTime, message: &str) {
        self.line(time, "WARNING", message);
    }

    pub(crate) fn error(&mut self, time: UnixTime, message: &str) {
        self.line(time, "ERROR", message);
    }

    fn line(&mut self, time: UnixTime, level: &str, message: &str) {
        self.text
            .push_str(&format!("{},000 - {level} - {message}\n", clock::sql(time)));
    }

    pub(crate) fn into_text(self) -> String {
        self.text
    }
}
