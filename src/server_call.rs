//! How the server functions travel: [`Api`], the protocol every `#[server]` of the dashboard
//! names (`protocol = crate::server_call::Api<Json>` or `Api<GetUrl>`).
//!
//! On the server it is `server_fn`'s own `Http<In, Wire>`: the arguments read from a JSON body
//! (`Json`) or the query string (`GetUrl`), the answer written as JSON. In the browser it sends
//! the same request, but through one [`fetch`] shared by every function and reads the answer
//! with [`FromJson`]: `Http`'s client builds the request, reads the answer and runs their async
//! state machine once per server function, which the bundle paid for a dozen times
//! (docs/bundle.md, "One call path").

use std::future::Future;
use std::marker::PhantomData;

use serde::Serialize;
use server_fn::codec::{Encoding, FromReq, FromRes, GetUrl, IntoReq, IntoRes, Json};
use server_fn::{Http, Protocol};

use crate::api_error::ApiError;
use crate::wire::{FromJson, Wire};

/// The protocol of the dashboard's server functions; `In` says how the arguments travel.
pub struct Api<In>(PhantomData<In>);

/// How a server function's arguments travel: a JSON body, or a query string.
pub trait Args: Encoding {
    /// The arguments are the URL's query string (else the body, as JSON).
    const IN_QUERY: bool;
}

impl Args for Json {
    const IN_QUERY: bool = false;
}

impl Args for GetUrl {
    const IN_QUERY: bool = true;
}

impl<In, Input, Output, Client, Server> Protocol<Input, Output, Client, Server, ApiError>
    for Api<In>
where
    In: Args,
    Input: IntoReq<In, Client::Request, ApiError>
        + FromReq<In, Server::Request, ApiError>
        + Serialize
        + Send,
    Output: IntoRes<Wire, Server::Response, ApiError>
        + FromRes<Wire, Client::Response, ApiError>
        + FromJson
        + Send,
    Client: server_fn::client::Client<ApiError>,
    Server: server_fn::server::Server<ApiError>,
{
    const METHOD: http::Method = In::METHOD;

    fn run_server<F, Fut>(
        request: Server::Request,
        server_fn: F,
    ) -> impl Future<Output = Result<Server::Response, ApiError>> + Send
    where
        F: Fn(Input) -> Fut + Send,
        Fut: Future<Output = Result<Output, ApiError>> + Send,
    {
        <Http<In, Wire> as Protocol<Input, Output, Client, Server, ApiError>>::run_server(
            request, server_fn,
        )
    }

    #[cfg(feature = "hydrate")]
    fn run_client(
        path: &str,
        input: Input,
    ) -> impl Future<Output = Result<Output, ApiError>> + Send {
        // The arguments as JSON: the body itself, or the query string's pairs.
        let args = serde_json::to_value(&input);
        let request = args
            .map_err(|e| bad_args(&e.to_string()))
            .map(|args| Request::new(path, In::IN_QUERY, args));
        send_wrapper::SendWrapper::new(async move {
            let value = browser::send(request?).await?;
            Output::from_json(&value).map_err(|e| unreadable(&e.0))
        })
    }

    #[cfg(not(feature = "hydrate"))]
    fn run_client(
        path: &str,
        input: Input,
    ) -> impl Future<Output = Result<Output, ApiError>> + Send {
        <Http<In, Wire> as Protocol<Input, Output, Client, Server, ApiError>>::run_client(
            path, input,
        )
    }
}

/// Where a call goes and what it sends: what `Http`'s client would send for the same
/// arguments.
#[cfg(any(feature = "hydrate", test))]
#[derive(Debug, PartialEq)]
struct Request {
    url: String,
    /// The arguments as a JSON body (a `POST`); none for a `GET`.
    body: Option<String>,
}

#[cfg(any(feature = "hydrate", test))]
impl Request {
    /// `args` (the server function's arguments as JSON) as the query string of `path`, or as
    /// its body.
    fn new(path: &str, in_query: bool, args: serde_json::Value) -> Self {
        use serde_json::Value;
        if !in_query {
            return Self {
                url: path.to_owned(),
                body: Some(args.to_string()),
            };
        }
        let mut url = path.to_owned();
        let mut sep = '?';
        if let Value::Object(map) = &args {
            for (key, value) in map {
                let text = match value {
                    Value::Null => continue,
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                url.push(sep);
                sep = '&';
                encode_into(&mut url, key);
                url.push('=');
                encode_into(&mut url, &text);
            }
        }
        Self { url, body: None }
    }
}

/// Percent-encodes `text` as `encodeURIComponent` does: every byte but letters, digits and
/// `-_.!~*'()`.
#[cfg(any(feature = "hydrate", test))]
fn encode_into(out: &mut String, text: &str) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.!~*'()".contains(&b) {
            out.push(b as char);
        } else {
            out.push('%');
            out.push(HEX[usize::from(b >> 4)] as char);
            out.push(HEX[usize::from(b & 15)] as char);
        }
    }
}

#[cfg(feature = "hydrate")]
fn bad_args(detail: &str) -> ApiError {
    use server_fn::error::{FromServerFnError, ServerFnErrorErr};
    ApiError::from_server_fn_error(ServerFnErrorErr::Args(detail.to_owned()))
}

#[cfg(feature = "hydrate")]
fn unreachable_server(detail: &str) -> ApiError {
    use server_fn::error::{FromServerFnError, ServerFnErrorErr};
    ApiError::from_server_fn_error(ServerFnErrorErr::Request(detail.to_owned()))
}

#[cfg(feature = "hydrate")]
fn unreadable(detail: &str) -> ApiError {
    use server_fn::error::{FromServerFnError, ServerFnErrorErr};
    ApiError::from_server_fn_error(ServerFnErrorErr::Response(detail.to_owned()))
}

/// The one request every server function's call makes in the browser: nothing in here is
/// generic.
#[cfg(feature = "hydrate")]
mod browser {
    use leptos::wasm_bindgen::{JsCast, JsValue};
    use leptos::web_sys;
    use serde_json::Value;
    use wasm_bindgen_futures::JsFuture;

    use super::{Request, unreachable_server, unreadable};
    use crate::api_error::ApiError;
    use crate::wire::FromJson;

    /// Sends the request and reads the answer: the parsed JSON of a 2xx, the [`ApiError`] of
    /// a 4xx or 5xx (with the answer's status).
    pub async fn send(request: Request) -> Result<Value, ApiError> {
        let init = web_sys::RequestInit::new();
        let headers = web_sys::Headers::new().map_err(|_| unreachable_server(""))?;
        let _ = headers.set("Accept", "application/json");
        match &request.body {
            Some(body) => {
                init.set_method("POST");
                let _ = headers.set("Content-Type", "application/json");
                init.set_body(&JsValue::from_str(body));
            }
            None => init.set_method("GET"),
        }
        init.set_headers(&headers);
        let window = leptos::prelude::window();
        let answer = JsFuture::from(window.fetch_with_str_and_init(&request.url, &init))
            .await
            .map_err(|_| unreachable_server(""))?;
        let response: web_sys::Response = answer.unchecked_into();
        let status = response.status();
        let text = match response.text() {
            Ok(promise) => JsFuture::from(promise).await.ok(),
            Err(_) => None,
        };
        let text = text
            .and_then(|t| t.as_string())
            .ok_or_else(|| unreadable(""))?;
        let value = crate::wire::parse(&text).map_err(|e| unreadable(&e.0));
        if (400..=599).contains(&status) {
            let mut err = value
                .and_then(|v| ApiError::from_json(&v).map_err(|e| unreadable(&e.0)))
                .unwrap_or_else(|e| e);
            err.status = status;
            return Err(err);
        }
        value
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn json_arguments_are_the_body_of_a_post() {
        let r = Request::new("/api/aks/cancel", false, json!({"task_id": "t-1"}));
        assert_eq!(r.url, "/api/aks/cancel");
        assert_eq!(r.body.as_deref(), Some(r#"{"task_id":"t-1"}"#));
    }

    #[cfg(feature = "ssr")]
    #[test]
    fn query_arguments_are_encoded_as_the_server_reads_them() {
        #[derive(Debug, PartialEq, serde::Deserialize)]
        struct Args {
            region: String,
            hours: u32,
            limit: Option<u32>,
        }
        let r = Request::new(
            "/api/x",
            true,
            json!({"region": "east us/ä&=?+%", "hours": 24, "limit": null}),
        );
        assert_eq!(r.body, None);
        assert_eq!(
            r.url,
            "/api/x?hours=24&region=east%20us%2F%C3%A4%26%3D%3F%2B%25"
        );
        let query = r.url.split_once('?').unwrap().1;
        let read: Args = serde_urlencoded::from_str(query).unwrap();
        assert_eq!(
            read,
            Args {
                region: "east us/ä&=?+%".into(),
                hours: 24,
                limit: None
            }
        );
        assert_eq!(Request::new("/api/s", true, json!({})).url, "/api/s");
    }
}
