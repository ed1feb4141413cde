//! Segment-compatible messages (`/v1/batch`, `/v1/track`, `/v1/identify`, `/v1/page`,
//! `/v1/screen`, `/v1/group`, `/v1/alias`), as sent by Segment and RudderStack SDKs.
//!
//! - `messageId` is the event id; `userId`, else `anonymousId`, the user (a `null` or
//!   blank `userId` counts as absent).
//! - The timestamp is the first present of `timestamp`, `originalTimestamp`, the
//!   message's `sentAt` and the batch's `sentAt`; with none of them the message is
//!   rejected (the server clock is never used).
//! - `track`: `event` maps to the event type, `properties` are the properties.
//! - `identify`: stored as `user_identified` with the traits as properties, and also
//!   returned as an [`crate::Identify`] so the traits can be merged into the user's.
//! - `page` / `screen`: `page_viewed` / `screen_viewed`, properties plus `name` and
//!   `category` when given (properties win on conflict).
//! - `group`: `group_joined`, properties = traits plus `groupId` (required).
//! - `alias`: `user_aliased`, properties = `{"previousId": ...}` (required).
//! - `context` and `integrations` are ignored.

use serde_json::{Map, Value};

use crate::catalog::{KnownType, validate_properties};
use crate::error::FieldError;
use crate::event::AnalyticsEvent;
use crate::request::Route;
use crate::validate::{
    TimeWindow, as_object, event_id, event_type, get, non_empty_string, properties, required, show,
    timestamp, user_id,
};

/// A Segment message type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Track,
    Identify,
    Page,
    Screen,
    Group,
    Alias,
}

const KINDS: [(&str, Kind); 6] = [
    ("track", Kind::Track),
    ("identify", Kind::Identify),
    ("page", Kind::Page),
    ("screen", Kind::Screen),
    ("group", Kind::Group),
    ("alias", Kind::Alias),
];

impl Kind {
    /// The message type a single-message route implies (`None` for `/v1/batch`).
    pub(crate) fn for_route(route: Route) -> Option<Self> {
        match route {
            Route::SegmentTrack => Some(Kind::Track),
            Route::SegmentIdentify => Some(Kind::Identify),
            Route::SegmentPage => Some(Kind::Page),
            Route::SegmentScreen => Some(Kind::Screen),
            Route::SegmentGroup => Some(Kind::Group),
            Route::SegmentAlias => Some(Kind::Alias),
            Route::Events | Route::SegmentBatch => None,
        }
    }

    fn from_type(v: &Value) -> Result<Self, FieldError> {
        KINDS
            .iter()
            .find(|(name, _)| v.as_str() == Some(*name))
            .map(|(_, kind)| *kind)
            .ok_or_else(|| {
                FieldError::new(
                    "type",
                    format!(
                        "expected one of \"track\", \"identify\", \"page\", \"screen\", \"group\", \"alias\", got {}",
                        show(v)
                    ),
                )
            })
    }
}

/// A parsed message: the event, and whether it was an `identify`.
pub(crate) struct Message {
    pub(crate) event: AnalyticsEvent,
    pub(crate) identify: bool,
}

/// Parses one message. `kind` comes from the route, else from the message's `type`;
/// `batch_sent_at` is the enclosing batch's `sentAt`, the last timestamp fallback.
pub(crate) fn parse(
    v: &Value,
    kind: Option<Kind>,
    batch_sent_at: Option<&Value>,
    window: &TimeWindow,
) -> Result<Message, FieldError> {
    let obj = as_object(v, "$")?;
    let kind = match kind {
        Some(k) => k,
        None => Kind::from_type(required(obj, "type", "type")?)?,
    };
    let event_id = event_id(required(obj, "messageId", "messageId")?, "messageId")?;
    // A blank `userId` (RudderStack's JavaScript SDK sends "" for anonymous users)
    // counts as absent.
    let known_user = get(obj, "userId").filter(|v| v.as_str().is_none_or(|s| !s.trim().is_empty()));
    let user_id = match (known_user, get(obj, "anonymousId")) {
        (Some(v), _) => user_id(v, "userId")?,
        (None, Some(v)) => user_id(v, "anonymousId")?,
        (None, None) => {
            return Err(FieldError::new(
                "userId",
                "required (or anonymousId) but missing",
            ));
        }
    };
    let timestamp = message_timestamp(obj, batch_sent_at, window)?;
    let (type_name, mut props, prefix) = match kind {
        Kind::Track => (
            event_type(required(obj, "event", "event")?, "event")?,
            properties(obj.get("properties"), "properties")?,
            "properties",
        ),
        Kind::Identify => (
            KnownType::UserIdentified.as_str().to_owned(),
            properties(obj.get("traits"), "traits")?,
            "traits",
        ),
        Kind::Page | Kind::Screen => {
            let known = if kind == Kind::Page {
                KnownType::PageViewed
            } else {
                KnownType::ScreenViewed
            };
            let mut props = properties(obj.get("properties"), "properties")?;
            for key in ["name", "category"] {
                if let Some(value) = get(obj, key) {
                    props.entry(key).or_insert_with(|| value.clone());
                }
            }
            (known.as_str().to_owned(), props, "properties")
        }
        Kind::Group => {
            let group_id = required(obj, "groupId", "groupId")?;
            non_empty_string(group_id, "groupId")?;
            let mut props = properties(obj.get("traits"), "traits")?;
            props.insert("groupId".to_owned(), group_id.clone());
            (KnownType::GroupJoined.as_str().to_owned(), props, "traits")
        }
        Kind::Alias => {
            let previous = required(obj, "previousId", "previousId")?;
            non_empty_string(previous, "previousId")?;
            let mut props = Map::new();
            props.insert("previousId".to_owned(), previous.clone());
            (KnownType::UserAliased.as_str().to_owned(), props, "")
        }
    };
    validate_properties(&type_name, &mut props, prefix)?;
    Ok(Message {
        event: AnalyticsEvent {
            event_id,
            user_id,
            event_type: type_name,
            timestamp,
            properties: props,
            source: None,
        },
        identify: kind == Kind::Identify,
    })
}

fn message_timestamp(
    obj: &Map<String, Value>,
    batch_sent_at: Option<&Value>,
    window: &TimeWindow,
) -> Result<chrono::DateTime<chrono::Utc>, FieldError> {
    let candidates = ["timestamp", "originalTimestamp", "sentAt"]
        .into_iter()
        .map(|key| (get(obj, key), key))
        .chain(std::iter::once((
            batch_sent_at.filter(|v| !v.is_null()),
            "sentAt",
        )));
    for (value, path) in candidates {
        if let Some(value) = value {
            return timestamp(value, path, window);
        }
    }
    Err(FieldError::new(
        "timestamp",
        "required but missing (and no originalTimestamp or sentAt to fall back on)",
    ))
}

/// The id to report in a rejection of this message.
pub(crate) fn id_hint(v: &Value) -> Option<String> {
    crate::validate::id_hint(v, "messageId")
}

#[cfg(test)]
#[path = "segment_tests.rs"]
mod tests;
