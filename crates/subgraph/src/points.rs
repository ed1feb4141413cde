//! A series' points, resolved in one pass.
//!
//! A dashboard answers hundreds of points. `async-graphql` resolves a list of objects with a
//! future per item and a boxed future per field of each, which cost more than reading the
//! points from the store. [`MetricPoints`] is the same `[MetricPoint!]!` in the schema; when
//! the selection is plain fields (`timestamp`, `value`, `__typename`, aliased or not), it
//! reads that selection once and writes the points' JSON directly, which the response embeds
//! as it is (`async-graphql`'s raw values: an object whose one key is [`RAW_VALUE_TOKEN`],
//! which no GraphQL response key can be). No `Value` is built, serialized and dropped per
//! point. Any other selection (fragments, custom directives) goes through the generic
//! resolution. `@skip` and `@include` are applied before execution, so they never reach it.
//! The schema has no extension; one that hooks field resolution (tracing) or reads the
//! response's `Value`s would not see the points' fields resolved here.

use std::borrow::Cow;

use async_graphql::indexmap::IndexMap;
use async_graphql::parser::types::{Field, Selection};
use async_graphql::registry::Registry;
use async_graphql::{
    ContextSelectionSet, Name, OutputType, Positioned, ServerError, ServerResult, Value,
};
use async_graphql_value::RAW_VALUE_TOKEN;

use crate::types::MetricPoint;

/// `[MetricPoint!]!`: one point per bucket, oldest first.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MetricPoints(pub Vec<MetricPoint>);

impl From<Vec<MetricPoint>> for MetricPoints {
    fn from(points: Vec<MetricPoint>) -> MetricPoints {
        MetricPoints(points)
    }
}

impl OutputType for MetricPoints {
    fn type_name() -> Cow<'static, str> {
        Vec::<MetricPoint>::type_name()
    }

    fn qualified_type_name() -> String {
        Vec::<MetricPoint>::qualified_type_name()
    }

    fn create_type_info(registry: &mut Registry) -> String {
        Vec::<MetricPoint>::create_type_info(registry)
    }

    async fn resolve(
        &self,
        ctx: &ContextSelectionSet<'_>,
        field: &Positioned<Field>,
    ) -> ServerResult<Value> {
        match Selected::of(ctx) {
            Some(selected) => {
                let json = selected
                    .json(&self.0)
                    .map_err(|e| ServerError::new(e.to_string(), Some(field.pos)))?;
                let mut raw = IndexMap::with_capacity(1);
                raw.insert(Name::new(RAW_VALUE_TOKEN), Value::String(json));
                Ok(Value::Object(raw))
            }
            None => self.0.resolve(ctx, field).await,
        }
    }
}

/// A field of a point.
#[derive(Debug, Clone, Copy)]
enum PointField {
    Timestamp,
    Value,
    Typename,
}

/// The response keys and fields selected on each point, in order.
struct Selected {
    fields: Vec<(Name, PointField)>,
}

impl Selected {
    /// The selection, if it is plain fields of `MetricPoint`.
    fn of(ctx: &ContextSelectionSet<'_>) -> Option<Selected> {
        let mut fields: Vec<(Name, PointField)> = Vec::new();
        for selection in &ctx.item.node.items {
            let Selection::Field(field) = &selection.node else {
                return None;
            };
            if !field.node.directives.is_empty() {
                return None;
            }
            let which = match field.node.name.node.as_str() {
                "timestamp" => PointField::Timestamp,
                "value" => PointField::Value,
                "__typename" => PointField::Typename,
                _ => return None,
            };
            let key = &field.node.response_key().node;
            // A key selected twice keeps its first field, as the generic resolution does.
            if !fields.iter().any(|(k, _)| k == key) {
                fields.push((key.clone(), which));
            }
        }
        Some(Selected { fields })
    }

    /// The points as a JSON array of objects with the selected keys, as the generic
    /// resolution would serialize them (a value that is not finite is `null`).
    fn json(&self, points: &[MetricPoint]) -> serde_json::Result<String> {
        let typename = MetricPoint::type_name();
        let mut out = Vec::with_capacity(points.len() * 48 + 2);
        out.push(b'[');
        for (i, point) in points.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            out.push(b'{');
            for (j, (key, which)) in self.fields.iter().enumerate() {
                if j > 0 {
                    out.push(b',');
                }
                serde_json::to_writer(&mut out, key.as_str())?;
                out.push(b':');
                match which {
                    PointField::Timestamp => serde_json::to_writer(&mut out, &point.timestamp)?,
                    PointField::Value => serde_json::to_writer(&mut out, &point.value)?,
                    PointField::Typename => serde_json::to_writer(&mut out, typename.as_ref())?,
                }
            }
            out.push(b'}');
        }
        out.push(b']');
        String::from_utf8(out).map_err(serde::ser::Error::custom)
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use async_graphql::{EmptyMutation, EmptySubscription, Object, Request, Schema, Variables};
    use futures::executor::block_on;
    use serde_json::json;

    use super::*;

    /// The same points as a plain list (generic resolution) and as [`MetricPoints`].
    struct Root(Vec<MetricPoint>);

    #[Object]
    impl Root {
        async fn generic(&self) -> &Vec<MetricPoint> {
            &self.0
        }

        async fn one_pass(&self) -> MetricPoints {
            MetricPoints(self.0.clone())
        }
    }

    fn answer(selection: &str, variables: serde_json::Value) -> [String; 2] {
        let points = vec![
            MetricPoint {
                timestamp: "2026-11-24T00:00:00Z".into(),
                value: 1250.0,
            },
            MetricPoint {
                timestamp: "2026-11-25T00:00:00Z".into(),
                value: 0.125,
            },
            MetricPoint {
                timestamp: "2026-11-26T00:00:00Z".into(),
                value: f64::NAN,
            },
        ];
        let schema = Schema::new(Root(points), EmptyMutation, EmptySubscription);
        ["generic", "onePass"].map(|field| {
            // Declared only where used: unused variables and fragments are errors.
            let declared = if selection.contains("$on") {
                "($on: Boolean!)"
            } else {
                ""
            };
            let fragment = if selection.contains("...F") {
                "fragment F on MetricPoint { value }"
            } else {
                ""
            };
            let query = format!("query{declared} {{ {field} {selection} }} {fragment}");
            let request = Request::new(query).variables(Variables::from_json(variables.clone()));
            // The text the HTTP layer sends, with the field's key made the same for both.
            let text = serde_json::to_string(&block_on(schema.execute(request)))
                .unwrap()
                .replacen(
                    &format!("{{\"data\":{{\"{field}\":"),
                    "{\"data\":{\"f\":",
                    1,
                );
            let response: serde_json::Value = serde_json::from_str(&text).unwrap();
            assert!(response.get("errors").is_none(), "{response}");
            assert!(response["data"]["f"].is_array(), "{text}");
            text
        })
    }

    #[test]
    fn one_pass_answers_as_the_generic_resolution() {
        let selections = [
            "{ timestamp value }",
            "{ value timestamp __typename }",
            "{ at: timestamp v: value t: __typename }",
            "{ value value timestamp v: value }",
            "{ timestamp value @include(if: $on) }",
            "{ timestamp @skip(if: $on) value }",
            "{ ... on MetricPoint { timestamp } value }",
            "{ timestamp ...F }",
        ];
        for on in [true, false] {
            for selection in selections {
                let [generic, one_pass] = answer(selection, json!({ "on": on }));
                assert_eq!(one_pass, generic, "{selection} with $on = {on}");
            }
        }
        let [_, one_pass] = answer("{ at: timestamp value }", json!({ "on": true }));
        let one_pass: serde_json::Value = serde_json::from_str(&one_pass).unwrap();
        assert_eq!(
            one_pass["data"]["f"],
            json!([
                { "at": "2026-11-24T00:00:00Z", "value": 1250.0 },
                { "at": "2026-11-25T00:00:00Z", "value": 0.125 },
                { "at": "2026-11-26T00:00:00Z", "value": null },
            ])
        );
    }
}
