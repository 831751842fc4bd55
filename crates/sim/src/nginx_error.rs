//! nginx's built-in HTML error pages, as the DESaccess file server and ingress send them.

use axum::http::header::CONTENT_TYPE;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

/// The page nginx sends for `status`, with `Content-Type: text/html`.
pub(crate) fn page(status: StatusCode) -> Response {
    let reason = match status.as_u16() {
        416 => "Requested Range Not Satisfiable",
        503 => "Service Temporarily Unavailable",
        _ => status.canonical_reason().unwrap_or("Error"),
    };
    let title = format!("{} {reason}", status.as_u16());
    let body = format!(
        "<html>\r\n<head><title>{title}</title></head>\r\n<body>\r\n<center><h1>{title}</h1></center>\r\n\
         <hr><center>nginx/1.19.0</center>\r\n</body>\r\n</html>\r\n"
    );
    (status, [(CONTENT_TYPE, "text/html")], body).into_response()
}
