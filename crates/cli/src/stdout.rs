//! Printing to standard output that ends the command quietly when its reader goes away
//! (`jobfetch jobs | head`), as `ls` does, instead of panicking on the broken pipe.

use std::io::{ErrorKind, Write};

/// The exit status of a command whose output pipe closed: a shell's for death by SIGPIPE.
const CLOSED_PIPE_STATUS: i32 = 141;

/// Writes `args` to standard output; exits at once, quietly, when nobody reads it any more.
pub fn write(args: std::fmt::Arguments) {
    let mut out = std::io::stdout().lock();
    if let Err(err) = out.write_fmt(args).and_then(|()| out.flush()) {
        if err.kind() == ErrorKind::BrokenPipe {
            std::process::exit(CLOSED_PIPE_STATUS);
        }
        panic!("failed printing to stdout: {err}");
    }
}

/// `print!` that ends the command quietly when standard output's reader has gone.
macro_rules! print {
    ($($arg:tt)*) => {
        $crate::stdout::write(format_args!($($arg)*))
    };
}

/// `println!` that ends the command quietly when standard output's reader has gone.
macro_rules! println {
    () => {
        $crate::stdout::write(format_args!("\n"))
    };
    ($($arg:tt)*) => {
        $crate::stdout::write(format_args!("{}\n", format_args!($($arg)*)))
    };
}
