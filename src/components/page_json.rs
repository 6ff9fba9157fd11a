//! `PageJson`: how the data the server renders into the page travels to the browser. It is
//! JSON, as with Leptos' default codec, but the browser reads it with the very code that reads
//! the server functions' answers (`crate::wire`), so the bundle carries one reader per type.

use leptos::server::codee::{Decoder, Encoder};
use serde::Serialize;

use crate::wire::{FromJson, WireError};

/// The codec of the dashboard's resources.
pub struct PageJson;

impl<T: Serialize> Encoder<T> for PageJson {
    type Error = serde_json::Error;
    type Encoded = String;

    fn encode(val: &T) -> Result<Self::Encoded, Self::Error> {
        serde_json::to_string(val)
    }
}

impl<T: FromJson> Decoder<T> for PageJson {
    type Error = WireError;
    type Encoded = str;

    fn decode(val: &Self::Encoded) -> Result<T, Self::Error> {
        crate::wire::from_slice(val.as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provisioning::model::RecentFailures;

    #[test]
    fn what_the_server_encodes_the_browser_decodes() {
        let value = RecentFailures {
            jobs: vec![],
            degraded: true,
        };
        let encoded = <PageJson as Encoder<RecentFailures>>::encode(&value).expect("encodes");
        let decoded: RecentFailures =
            <PageJson as Decoder<RecentFailures>>::decode(&encoded).expect("decodes");
        assert_eq!(decoded, value);
    }
}
