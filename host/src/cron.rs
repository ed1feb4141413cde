//! The cron trigger, in the form of Spin's cron trigger plugin: `[[trigger.cron]]` runs a
//! component's `handle-cron-event` export on a six-field schedule (seconds first).

use crate::app::{App, LoadedComponent};
use crate::state::InstanceState;
use chrono::Utc;
use std::str::FromStr;
use std::sync::Arc;

mod bindings {
    wasmtime::component::bindgen!({
        path: "../wit/spin",
        world: "fermyon:spin-cron/spin-cron",
        exports: { default: async | store },
    });
}

use bindings::SpinCronPre;
use bindings::fermyon::spin_cron::cron_types::{Error as CronError, Metadata};

/// One scheduled component.
pub struct CronJob {
    component: Arc<LoadedComponent>,
    pre: SpinCronPre<InstanceState>,
    schedule: cron::Schedule,
    expression: String,
}

impl CronJob {
    /// Prepares a job; fails if the expression is invalid or the component is not a cron handler.
    pub fn new(component: Arc<LoadedComponent>, expression: &str) -> anyhow::Result<Self> {
        let id = &component.id;
        let schedule = cron::Schedule::from_str(expression).map_err(|e| {
            anyhow::anyhow!(
                "cron trigger of component '{id}': invalid cron_expression '{expression}': {e}"
            )
        })?;
        let pre = SpinCronPre::new(component.instance_pre.clone()).map_err(|e| {
            anyhow::anyhow!(
                "component '{id}' has a cron trigger but does not export handle-cron-event (fermyon:spin-cron@2.0.0): {e}"
            )
        })?;
        Ok(Self {
            component,
            pre,
            schedule,
            expression: expression.to_owned(),
        })
    }

    /// The component id.
    pub fn component(&self) -> &str {
        &self.component.id
    }

    /// The cron expression.
    pub fn expression(&self) -> &str {
        &self.expression
    }

    /// Runs the component once, as a tick of the schedule does.
    pub async fn run_once(&self, app: &App, timestamp: u64) -> anyhow::Result<()> {
        let mut store = app.new_store(&self.component)?;
        let cron =
            self.pre.instantiate_async(&mut store).await.map_err(|e| {
                anyhow::anyhow!("cannot instantiate '{}': {e:#}", self.component.id)
            })?;
        let result = store
            .run_concurrent(async |accessor| {
                cron.call_handle_cron_event(accessor, Metadata { timestamp })
                    .await
            })
            .await
            .and_then(|r| r)
            .map_err(|e| anyhow::anyhow!("component '{}' trapped: {e:#}", self.component.id))?;
        result.map_err(|CronError::Other(message)| {
            anyhow::anyhow!("component '{}' failed: {message}", self.component.id)
        })
    }

    /// Runs the job on its schedule until the task is dropped.
    pub async fn run(self, app: Arc<App>) {
        while let Some(next) = self.schedule.upcoming(Utc).next() {
            let wait = (next - Utc::now()).to_std().unwrap_or_default();
            tokio::time::sleep(wait).await;
            let timestamp = u64::try_from(next.timestamp()).unwrap_or_default();
            if let Err(error) = self.run_once(&app, timestamp).await {
                eprintln!("cron: {error:#}");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn six_field_expressions_have_seconds_first() {
        use std::str::FromStr;
        let every_minute = cron::Schedule::from_str("0 * * * * *").unwrap();
        let times: Vec<_> = every_minute.upcoming(chrono::Utc).take(2).collect();
        assert_eq!((times[1] - times[0]).num_seconds(), 60);
        assert!(cron::Schedule::from_str("not cron").is_err());
    }
}
