//! The browser's client for Confab's JSON API (gloo-net over `fetch`; the session cookie
//! goes along by itself). On the server these calls are never made: they only run from
//! event handlers and effects, which run in the browser.
// The server build renders these views but never runs the browser side of them.
#![cfg_attr(not(feature = "hydrate"), allow(dead_code))]

use serde::de::DeserializeOwned;
use serde::Serialize;

/// Why a call failed, in a form the UI can show and act on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiFailure {
    /// 0 when the server could not be reached at all.
    pub status: u16,
    pub code: String,
    pub message: String,
    /// Seconds, from `Retry-After` (rate limits, storage outages).
    pub retry_after: Option<u32>,
}

impl ApiFailure {
    pub fn is_offline(&self) -> bool {
        self.status == 0
    }
}

/// The answer to a conditional `GET /state`.
pub enum Polled<T> {
    Changed { value: T, etag: Option<String> },
    NotModified,
}

#[cfg(feature = "hydrate")]
mod imp {
    use super::*;
    use crate::wire::ErrorBody;
    use gloo_net::http::{Request, RequestBuilder, Response};

    fn offline(error: impl std::fmt::Display) -> ApiFailure {
        ApiFailure {
            status: 0,
            code: "offline".into(),
            message: format!("cannot reach the server ({error})"),
            retry_after: None,
        }
    }

    async fn failure(response: Response) -> ApiFailure {
        let retry_after = response.headers().get("retry-after").and_then(|v| v.trim().parse().ok());
        let status = response.status();
        failure_of(status, response.json::<ErrorBody>().await.ok(), retry_after)
    }

    /// A refusal: the server's own words when its body could be read.
    fn failure_of(status: u16, body: Option<ErrorBody>, retry_after: Option<u32>) -> ApiFailure {
        if status == 401 {
            signed_out();
        }
        match body {
            Some(body) => ApiFailure { status, code: body.error.code, message: body.error.message, retry_after },
            None => ApiFailure {
                status,
                code: "http".into(),
                message: format!("the server answered {status}"),
                retry_after,
            },
        }
    }

    /// An answer that is not what was asked for.
    fn unreadable(status: u16, error: impl std::fmt::Display) -> ApiFailure {
        ApiFailure {
            status,
            code: "bad_response".into(),
            message: format!("the server's answer could not be read: {error}"),
            retry_after: None,
        }
    }

    /// The session ended while this tab was open (signed out elsewhere, the account disabled
    /// or deleted): the tab goes to the sign-in page, to come back here after. The sign-in
    /// and sign-up pages themselves hear 401 for a wrong password, and stay.
    fn signed_out() {
        let Some(location) = web_sys::window().map(|w| w.location()) else { return };
        let path = location.pathname().unwrap_or_default();
        if path != "/login" && path != "/register" && !path.starts_with("/s/") {
            let _ = location.set_href(&format!("/login?next={path}"));
        }
    }

    async fn send(request: Result<gloo_net::http::Request, gloo_net::Error>) -> Result<Response, ApiFailure> {
        let response = request.map_err(offline)?.send().await.map_err(offline)?;
        if response.ok() || response.status() == 304 {
            Ok(response)
        } else {
            Err(failure(response).await)
        }
    }

    async fn json<T: DeserializeOwned>(response: Response) -> Result<T, ApiFailure> {
        response.json::<T>().await.map_err(|e| unreadable(response.status(), e))
    }

    fn with_body<B: Serialize>(builder: RequestBuilder, body: &B) -> Result<Request, gloo_net::Error> {
        builder.json(body)
    }

    pub async fn get<T: DeserializeOwned>(path: &str) -> Result<T, ApiFailure> {
        json(send(Request::get(path).build()).await?).await
    }

    pub async fn post<B: Serialize, T: DeserializeOwned>(path: &str, body: &B) -> Result<T, ApiFailure> {
        json(send(with_body(Request::post(path), body)).await?).await
    }

    pub async fn patch<B: Serialize, T: DeserializeOwned>(path: &str, body: &B) -> Result<T, ApiFailure> {
        json(send(with_body(Request::patch(path), body)).await?).await
    }

    pub async fn put<B: Serialize, T: DeserializeOwned>(path: &str, body: &B) -> Result<T, ApiFailure> {
        json(send(with_body(Request::put(path), body)).await?).await
    }

    /// `DELETE` with a JSON body (what proves the caller may), reading the answer.
    pub async fn delete<B: Serialize, T: DeserializeOwned>(path: &str, body: &B) -> Result<T, ApiFailure> {
        json(send(with_body(Request::delete(path), body)).await?).await
    }

    /// Posts `body`; the answer has no body worth reading (`204`).
    pub async fn post_only<B: Serialize>(path: &str, body: &B) -> Result<(), ApiFailure> {
        send(with_body(Request::post(path), body)).await.map(|_| ())
    }

    /// A request whose answer has no body worth reading (`204`).
    pub async fn send_only(method: &str, path: &str) -> Result<(), ApiFailure> {
        let builder = match method {
            "DELETE" => Request::delete(path),
            _ => Request::post(path),
        };
        send(builder.build()).await.map(|_| ())
    }

    /// What an upload sends: a file as the whole body, or a multipart form.
    pub enum UploadBody<'a> {
        File { file: &'a web_sys::File, content_type: &'a str },
        Form(&'a web_sys::FormData),
    }

    /// Posts a file, telling `on_progress` how much of it has gone (0.0 to 1.0) as it goes:
    /// `fetch` cannot report an upload's progress, so this is an `XMLHttpRequest`.
    pub async fn upload<T: DeserializeOwned>(
        path: &str,
        body: UploadBody<'_>,
        on_progress: impl Fn(f64) + 'static,
    ) -> Result<T, ApiFailure> {
        use wasm_bindgen::prelude::*;
        use wasm_bindgen::JsCast;
        let request = web_sys::XmlHttpRequest::new().map_err(|e| offline(format!("{e:?}")))?;
        request.open("POST", path).map_err(|e| offline(format!("{e:?}")))?;
        let progress = Closure::<dyn FnMut(web_sys::ProgressEvent)>::new(move |event: web_sys::ProgressEvent| {
            if event.length_computable() && event.total() > 0.0 {
                on_progress(event.loaded() / event.total());
            }
        });
        if let Ok(upload) = request.upload() {
            upload.set_onprogress(Some(progress.as_ref().unchecked_ref()));
        }
        let finished = js_sys::Promise::new(&mut |resolve, _reject| {
            let done = Closure::<dyn FnMut()>::new(move || {
                let _ = resolve.call0(&JsValue::NULL);
            })
            .into_js_value();
            request.set_onloadend(Some(done.unchecked_ref()));
        });
        let sent = match body {
            UploadBody::File { file, content_type } => {
                request.set_request_header("Content-Type", content_type).map_err(|e| offline(format!("{e:?}")))?;
                request.send_with_opt_blob(Some(file))
            }
            // The browser writes the multipart boundary into the Content-Type itself.
            UploadBody::Form(form) => request.send_with_opt_form_data(Some(form)),
        };
        sent.map_err(|e| offline(format!("{e:?}")))?;
        let _ = wasm_bindgen_futures::JsFuture::from(finished).await;
        drop(progress);
        let status = request.status().unwrap_or(0);
        let text = request.response_text().ok().flatten().unwrap_or_default();
        if status == 0 {
            return Err(offline("the upload stopped"));
        }
        if !(200..300).contains(&status) {
            let retry_after =
                request.get_response_header("retry-after").ok().flatten().and_then(|v| v.trim().parse().ok());
            return Err(failure_of(status, serde_json::from_str(&text).ok(), retry_after));
        }
        serde_json::from_str(&text).map_err(|e| unreadable(status, e))
    }

    pub async fn poll<T: DeserializeOwned>(path: &str, etag: Option<&str>) -> Result<Polled<T>, ApiFailure> {
        let mut builder = Request::get(path);
        if let Some(etag) = etag {
            builder = builder.header("If-None-Match", etag);
        }
        let response = send(builder.build()).await?;
        if response.status() == 304 {
            return Ok(Polled::NotModified);
        }
        let etag = response.headers().get("etag");
        Ok(Polled::Changed { value: json(response).await?, etag })
    }
}

#[cfg(not(feature = "hydrate"))]
mod imp {
    //! Outside the browser there is nothing to call.
    use super::*;

    fn unavailable() -> ApiFailure {
        ApiFailure {
            status: 0,
            code: "unavailable".into(),
            message: "only the browser calls the API".into(),
            retry_after: None,
        }
    }

    pub async fn get<T: DeserializeOwned>(_path: &str) -> Result<T, ApiFailure> {
        Err(unavailable())
    }
    pub async fn post<B: Serialize, T: DeserializeOwned>(_path: &str, _body: &B) -> Result<T, ApiFailure> {
        Err(unavailable())
    }
    pub async fn patch<B: Serialize, T: DeserializeOwned>(_path: &str, _body: &B) -> Result<T, ApiFailure> {
        Err(unavailable())
    }
    pub async fn put<B: Serialize, T: DeserializeOwned>(_path: &str, _body: &B) -> Result<T, ApiFailure> {
        Err(unavailable())
    }
    pub async fn send_only(_method: &str, _path: &str) -> Result<(), ApiFailure> {
        Err(unavailable())
    }
    pub async fn delete<B: Serialize, T: DeserializeOwned>(_path: &str, _body: &B) -> Result<T, ApiFailure> {
        Err(unavailable())
    }
    pub async fn post_only<B: Serialize>(_path: &str, _body: &B) -> Result<(), ApiFailure> {
        Err(unavailable())
    }
    pub async fn poll<T: DeserializeOwned>(_path: &str, _etag: Option<&str>) -> Result<Polled<T>, ApiFailure> {
        Err(unavailable())
    }
}

#[cfg_attr(not(feature = "hydrate"), allow(unused_imports))]
pub use imp::{delete, get, patch, poll, post, post_only, put, send_only};
#[cfg(feature = "hydrate")]
pub use imp::{upload, UploadBody};

/// Loads `path` as a whole new page (so the server renders it with the new session).
pub fn go_to(path: &str) {
    #[cfg(feature = "hydrate")]
    if let Some(window) = web_sys::window() {
        let _ = window.location().set_href(path);
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = path;
}
