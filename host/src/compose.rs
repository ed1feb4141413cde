//! Spin component dependencies: a component's imports satisfied by another component's exports,
//! composed into one component at load time (with `wac-graph`, as Spin composes them).

use crate::manifest::{ComponentSource, Dependency, Manifest};
use anyhow::{Context as _, bail};
use std::path::{Path, PathBuf};
use wac_graph::{CompositionGraph, EncodeOptions, types::Package};

/// The bytes of a component with its dependencies composed in.
pub fn component_bytes(manifest: &Manifest, dir: &Path, id: &str) -> anyhow::Result<Vec<u8>> {
    compose(manifest, dir, id, &mut vec![id.to_owned()])
}

fn source_path(manifest: &Manifest, dir: &Path, id: &str) -> anyhow::Result<PathBuf> {
    match &manifest.component[id].source {
        ComponentSource::Path(path) => Ok(dir.join(path)),
        ComponentSource::Remote { url, .. } => bail!("component '{id}' has a remote source {url}"),
    }
}

fn read_wasm(path: &Path, what: &str) -> anyhow::Result<Vec<u8>> {
    std::fs::read(path).with_context(|| {
        format!(
            "{what}: cannot read {} (build it first, e.g. with --build)",
            path.display()
        )
    })
}

fn compose(
    manifest: &Manifest,
    dir: &Path,
    id: &str,
    stack: &mut Vec<String>,
) -> anyhow::Result<Vec<u8>> {
    let def = &manifest.component[id];
    let bytes = read_wasm(
        &source_path(manifest, dir, id)?,
        &format!("component '{id}'"),
    )?;
    if def.dependencies.is_empty() {
        return Ok(bytes);
    }
    let mut graph = CompositionGraph::new();
    let root = Package::from_bytes("root:component", None, bytes, graph.types_mut())
        .with_context(|| format!("component '{id}' is not a Wasm component"))?;
    let root_exports: Vec<String> = graph.types()[root.ty()].exports.keys().cloned().collect();
    let root = graph.register_package(root)?;
    let root_instance = graph.instantiate(root);

    for (n, (import, dep)) in def.dependencies.iter().enumerate() {
        let (dep_bytes, export, inherit, name) = match dep {
            Dependency::AppComponent {
                component,
                export,
                inherit_configuration,
            } => {
                if stack.contains(component) {
                    bail!(
                        "component dependencies form a cycle: {} -> {component}",
                        stack.join(" -> ")
                    );
                }
                stack.push(component.clone());
                let bytes = compose(manifest, dir, component, stack)?;
                stack.pop();
                (bytes, export, inherit_configuration, component.clone())
            }
            Dependency::Local {
                path,
                export,
                inherit_configuration,
            } => {
                let what = format!("component '{id}' dependency '{import}'");
                (
                    read_wasm(&dir.join(path), &what)?,
                    export,
                    inherit_configuration,
                    path.display().to_string(),
                )
            }
            Dependency::Version(_) | Dependency::Other(_) => {
                bail!("component '{id}' dependency '{import}' is not local")
            }
        };
        let package_name = format!("dep:dependency{n}");
        let package = Package::from_bytes(&package_name, None, dep_bytes, graph.types_mut())
            .with_context(|| {
                format!("dependency '{name}' of component '{id}' is not a Wasm component")
            })?;
        let inherits = inherits_all(inherit.as_ref(), def.dependencies_inherit_configuration);
        let capabilities: Vec<String> = graph.types()[package.ty()]
            .imports
            .keys()
            .filter(|name| name.starts_with("spin:") || name.starts_with("fermyon:"))
            .cloned()
            .collect();
        if !inherits && !capabilities.is_empty() {
            bail!(
                "dependency '{name}' of component '{id}' imports {} but does not inherit the component's configuration: set inherit_configuration = true on '{import}'",
                capabilities.join(", ")
            );
        }
        let package = graph.register_package(package)?;
        let instance = graph.instantiate(package);
        let export = export.clone().unwrap_or_else(|| import.clone());
        let alias = graph
            .alias_instance_export(instance, &export)
            .with_context(|| {
                format!("dependency '{name}' of component '{id}' does not export '{export}'")
            })?;
        graph
            .set_instantiation_argument(root_instance, import, alias)
            .with_context(|| format!("component '{id}' cannot take '{name}' as its '{import}'"))?;
    }
    for export in root_exports {
        let alias = graph.alias_instance_export(root_instance, &export)?;
        graph.export(alias, export)?;
    }
    graph
        .encode(EncodeOptions::default())
        .with_context(|| format!("cannot compose component '{id}' with its dependencies"))
}

fn inherits_all(per_dependency: Option<&toml::Value>, component_default: Option<bool>) -> bool {
    match per_dependency {
        Some(toml::Value::Boolean(b)) => *b,
        Some(toml::Value::Array(keys)) => !keys.is_empty(),
        _ => component_default.unwrap_or(false),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn configuration_is_inherited_only_when_asked() {
        assert!(!inherits_all(None, None));
        assert!(inherits_all(None, Some(true)));
        assert!(inherits_all(Some(&toml::Value::Boolean(true)), Some(false)));
        assert!(!inherits_all(
            Some(&toml::Value::Boolean(false)),
            Some(true)
        ));
        assert!(inherits_all(
            Some(&toml::Value::Array(vec!["sqlite_databases".into()])),
            None
        ));
    }

    #[test]
    fn a_missing_file_names_the_component_and_the_fix() {
        let m = Manifest::parse(
            "spin_manifest_version = 2\n[application]\nname = \"x\"\n[component.a]\nsource = \"missing.wasm\"\n",
        )
        .unwrap();
        let err = component_bytes(&m, Path::new("/nowhere"), "a").unwrap_err();
        let text = format!("{err:#}");
        assert!(
            text.contains("component 'a'") && text.contains("--build"),
            "{text}"
        );
    }
}
