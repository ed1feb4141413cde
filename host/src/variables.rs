//! Application and component variables, resolved as Spin resolves them.
//!
//! Providers, strongest first: `--variable K=V`, `SPIN_VARIABLE_K` environment variables, then the
//! `[variables]` default. Component variables are templates over application variables
//! (`key = "{{ app_var }}"`, or text around such references).

use crate::manifest::{Manifest, check_snake_name};
use std::collections::{BTreeMap, HashMap};

/// Resolved application variables.
#[derive(Debug, Clone, Default)]
pub struct AppVariables(BTreeMap<String, String>);

/// Why variables could not be resolved.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum VariablesError {
    /// As Spin says it, so scripts that match Spin's output match ours.
    #[error("provider error: no provider resolved required variable(s): [{}]", .0.iter().map(|n| format!("Key(\"{n}\")")).collect::<Vec<_>>().join(", "))]
    MissingRequired(Vec<String>),
    /// A `--variable` flag is not `KEY=VALUE`.
    #[error("invalid --variable '{0}': expected KEY=VALUE")]
    BadFlag(String),
    /// A component variable refers to something undefined or is malformed.
    #[error("component '{component}' variable '{key}': {message}")]
    BadTemplate {
        /// The component.
        component: String,
        /// Its variable.
        key: String,
        /// What is wrong.
        message: String,
    },
}

impl AppVariables {
    /// Resolves every application variable from flags, the environment and defaults.
    pub fn resolve(
        manifest: &Manifest,
        flags: &[String],
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, VariablesError> {
        let mut from_flags = HashMap::new();
        for flag in flags {
            let (k, v) = flag
                .split_once('=')
                .ok_or_else(|| VariablesError::BadFlag(flag.clone()))?;
            from_flags.insert(k.trim().to_ascii_lowercase(), v.to_owned());
        }
        let mut values = BTreeMap::new();
        let mut missing = Vec::new();
        for (name, def) in &manifest.variables {
            let value = from_flags
                .get(name)
                .cloned()
                .or_else(|| env(&format!("SPIN_VARIABLE_{}", name.to_ascii_uppercase())))
                .or_else(|| def.default.clone());
            match value {
                Some(v) => {
                    values.insert(name.clone(), v);
                }
                None if def.required => missing.push(name.clone()),
                None => {}
            }
        }
        if missing.is_empty() {
            Ok(Self(values))
        } else {
            Err(VariablesError::MissingRequired(missing))
        }
    }

    /// Expands one component's variable templates.
    pub fn component_variables(
        &self,
        manifest: &Manifest,
        component: &str,
    ) -> Result<HashMap<String, String>, VariablesError> {
        let Some(def) = manifest.component.get(component) else {
            return Ok(HashMap::new());
        };
        def.variables
            .iter()
            .map(|(key, template)| {
                let bad = |message: String| VariablesError::BadTemplate {
                    component: component.to_owned(),
                    key: key.clone(),
                    message,
                };
                let value = self.expand(template, manifest).map_err(bad)?;
                Ok((key.clone(), value))
            })
            .collect()
    }

    /// Expands `{{ var }}` references in any string of the manifest.
    pub fn expand_str(&self, template: &str, manifest: &Manifest) -> Result<String, String> {
        self.expand(template, manifest)
    }

    fn expand(&self, template: &str, manifest: &Manifest) -> Result<String, String> {
        let mut out = String::new();
        let mut rest = template;
        while let Some(start) = rest.find("{{") {
            out.push_str(&rest[..start]);
            let after = &rest[start + 2..];
            let end = after
                .find("}}")
                .ok_or_else(|| format!("unclosed '{{{{' in {template:?}"))?;
            let name = after[..end].trim();
            check_snake_name(name).map_err(|e| format!("reference '{name}' {e}"))?;
            if !manifest.variables.contains_key(name) {
                return Err(format!("refers to undefined application variable '{name}'"));
            }
            // A variable with no value and no requirement resolves to nothing; Spin reports it
            // when the component asks for it, which `get` mirrors by leaving it undefined.
            let value = self
                .0
                .get(name)
                .ok_or_else(|| format!("application variable '{name}' has no value"))?;
            out.push_str(value);
            rest = &after[end + 2..];
        }
        if rest.contains("}}") {
            return Err(format!("unopened '}}}}' in {template:?}"));
        }
        out.push_str(rest);
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn manifest() -> Manifest {
        Manifest::parse(
            r#"
spin_manifest_version = 2
[application]
name = "v"
[variables]
api_key = { required = true }
region = { default = "eu" }
optional = {}
[component.c]
source = "c.wasm"
variables = { key = "{{ api_key }}", url = "https://{{region}}.example.com/{{ api_key }}", plain = "text" }
"#,
        )
        .unwrap()
    }

    #[test]
    fn flags_beat_environment_beat_defaults() {
        let m = manifest();
        let env = |k: &str| match k {
            "SPIN_VARIABLE_API_KEY" => Some("from-env".to_owned()),
            "SPIN_VARIABLE_REGION" => Some("us".to_owned()),
            _ => None,
        };
        let vars = AppVariables::resolve(&m, &[], env).unwrap();
        let c = vars.component_variables(&m, "c").unwrap();
        assert_eq!(c["key"], "from-env");
        assert_eq!(c["url"], "https://us.example.com/from-env");
        assert_eq!(c["plain"], "text");

        let vars = AppVariables::resolve(&m, &["api_key=flag".into()], env).unwrap();
        assert_eq!(vars.component_variables(&m, "c").unwrap()["key"], "flag");

        let vars = AppVariables::resolve(&m, &["api_key=k".into()], |_| None).unwrap();
        assert_eq!(
            vars.component_variables(&m, "c").unwrap()["url"],
            "https://eu.example.com/k"
        );
        assert!(vars.component_variables(&m, "missing").unwrap().is_empty());
    }

    #[test]
    fn a_missing_required_variable_is_reported_as_spin_reports_it() {
        let err = AppVariables::resolve(&manifest(), &[], |_| None).unwrap_err();
        assert_eq!(
            err.to_string(),
            "provider error: no provider resolved required variable(s): [Key(\"api_key\")]"
        );
        assert_eq!(
            AppVariables::resolve(&manifest(), &["nokey".into()], |_| None).unwrap_err(),
            VariablesError::BadFlag("nokey".into())
        );
    }

    #[test]
    fn bad_templates_are_errors() {
        let m = manifest();
        let vars = AppVariables::resolve(&m, &["api_key=k".into()], |_| None).unwrap();
        for (template, needle) in [
            ("{{ nope }}", "undefined application variable 'nope'"),
            ("{{ api_key ", "unclosed"),
            ("x }}", "unopened"),
            ("{{ Bad }}", "lowercase"),
            ("{{ optional }}", "has no value"),
        ] {
            let err = vars.expand(template, &m).unwrap_err();
            assert!(err.contains(needle), "{err} / {needle}");
        }
    }
}
