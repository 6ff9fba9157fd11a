//! A run's end, written under its claim with its history entry and announced to the owner's
//! pages: succeeded, failed (classified), or cancelled — a Stop asks Azure to abort the create
//! and reads what is left, so the partial cluster is known.

use crate::azure::ProvisioningState;
use crate::clock::now_ms;
use crate::domain::classify::{ClassifyContext, Ended, classify_arm_error, explain_ended};
use crate::domain::history::{HistoryKind, Outcome};
use crate::domain::{JobStatus, PartialCluster, STEPS};
use crate::events::DashboardEvent;
use crate::refusal::Refusal;
use crate::storage::HistoryEvent;
use crate::storage::jobs::JobUpdate;

use super::answers::ArmFailure;
use super::{ProvisionRun, Stop};

impl ProvisionRun {
    pub(super) fn partial_cluster(&self, abort_requested: bool) -> Option<PartialCluster> {
        self.progress
            .cluster_state
            .as_ref()
            .map(|state| PartialCluster {
                resource_id: self.cluster().resource_id(),
                portal_url: self.portal_url(),
                last_state: Some(state.clone()),
                abort_requested,
            })
    }

    /// Writes the job's end (only under this run's claim) and tells the owner's pages.
    /// `Ok(false)`: another runner holds the job.
    pub(super) async fn finish(
        &mut self,
        mut update: JobUpdate,
    ) -> Result<bool, crate::storage::StorageError> {
        let status = update.status;
        self.take_pending(&mut update);
        let ended = self
            .ctx
            .repo
            .update_as_holder(&self.lease, &update)
            .await?
            .is_some();
        if let (true, Some(status)) = (ended, status) {
            let took = now_ms().saturating_sub(self.job.created_at).max(0);
            crate::metrics::create_ended(
                status.as_str(),
                update.error_category.as_deref(),
                update.error_code.as_deref(),
                std::time::Duration::from_millis(u64::try_from(took).unwrap_or(0)),
            );
            let owner = &self.job.owner_id;
            self.ctx.events.to_user(
                owner,
                DashboardEvent::TaskEnded {
                    task_id: self.job.task_id.clone(),
                    status,
                },
            );
            if status != JobStatus::Succeeded {
                self.ctx.events.to_user(
                    owner,
                    DashboardEvent::FailureRecorded {
                        job_id: self.job.id.clone(),
                    },
                );
            }
        }
        Ok(ended)
    }

    pub(super) async fn finish_succeeded(&mut self) -> Result<bool, crate::storage::StorageError> {
        self.progress.phase = STEPS[2].into();
        self.progress.step = 3;
        self.progress.total_steps = 3;
        self.progress.message = format!("{} is ready", self.request.cluster_name);
        self.progress.updated_at = now_ms();
        tracing::info!(job_id = %self.job.id, cluster = %self.request.cluster_name, "provision succeeded");
        let ended = HistoryEvent::system(HistoryKind::Succeeded, Outcome::Succeeded)
            .azure(self.azure_ids(None));
        self.finish(JobUpdate {
            history: vec![ended],
            status: Some(JobStatus::Succeeded),
            phase: Some(STEPS[2].into()),
            step: Some(3),
            total_steps: Some(3),
            progress: Some(self.progress.clone()),
            ..JobUpdate::default()
        })
        .await
    }

    pub(super) async fn finish_failed(
        &mut self,
        failure: ArmFailure,
    ) -> Result<bool, crate::storage::StorageError> {
        let ctx = ClassifyContext::for_request(&self.request).with_portal(&self.ctx.config.portal);
        let class = classify_arm_error(&failure.info, &ctx);
        // The failure's explanation, classified once, here, from Azure's error as the client
        // read it (its links into the portal the job's own link points into, as every view
        // showed it): every view reads this.
        let explanation = classify_arm_error(
            &failure.info,
            &ClassifyContext::for_request(&self.request)
                .with_portal_of(self.progress.portal_url.as_deref()),
        );
        tracing::info!(job_id = %self.job.id, code = %failure.info.code, category = class.category.as_str(), "provision failed");
        self.progress.message = class.headline.clone();
        self.progress.updated_at = now_ms();
        let raw = failure
            .raw
            .or_else(|| serde_json::to_string(&failure.info).ok());
        // A cluster that is not this job's is no partial cluster of it.
        let partial = if Refusal::ClusterExists.is(&failure.info.code) {
            None
        } else {
            self.partial_cluster(false)
        };
        let ended = HistoryEvent::system(HistoryKind::Failed, Outcome::Failed)
            .message(failure.info.message.clone())
            .details(serde_json::json!({
                "code": failure.info.code,
                "category": class.category.as_str(),
                "http_status": failure.info.status,
                "headline": class.headline,
            }))
            .azure(self.azure_ids(Some(&failure.azure)));
        self.finish(JobUpdate {
            history: vec![ended],
            status: Some(JobStatus::Failed),
            progress: Some(self.progress.clone()),
            error_code: Some(failure.info.code.clone()),
            error_message: Some(failure.info.message.clone()),
            error_category: Some(class.category.as_str().to_owned()),
            raw_error: raw,
            partial_cluster: partial,
            explanation: Some(explanation),
            ..JobUpdate::default()
        })
        .await
    }

    /// The owner pressed Stop. A job that may have sent its create asks Azure to abort it and
    /// reads what is left; the cancel is recorded with that partial cluster.
    pub(super) async fn finish_cancelled(
        &mut self,
    ) -> Result<Result<bool, crate::storage::StorageError>, Stop> {
        let cluster = self.cluster();
        let mut abort_requested = false;
        let mut note = String::new();
        let reached_azure = self.job.arm_put_at.is_some()
            || self.progress.operation_url.is_some()
            || self.progress.cluster_state.is_some();
        if reached_azure {
            // The default client: a few retries of throttling and server errors are right here.
            match self.ctx.arm.abort_cluster_operation(&cluster).await {
                Ok(started) => {
                    tracing::info!(job_id = %self.job.id, cluster = %cluster.name, "asked Azure to abort the create");
                    abort_requested = true;
                    note = " Azure was asked to abort the create.".into();
                    self.pending.push(
                        HistoryEvent::system(HistoryKind::AbortSent, Outcome::Ok)
                            .details(serde_json::json!({ "http_status": started.http_status }))
                            .azure(self.azure_ids(Some(&started.azure))),
                    );
                    self.progress.message = format!(
                        "Stopping: Azure was asked to abort the create of {}",
                        cluster.name
                    );
                    self.progress.updated_at = now_ms();
                    self.write(JobUpdate {
                        progress: Some(self.progress.clone()),
                        ..JobUpdate::default()
                    })
                    .await?;
                }
                // Nothing there: the create never reached Azure.
                Err(e) if e.is_not_found() => {}
                // No operation to abort: the create has already ended; the read below says how.
                Err(e) if e.status() == Some(409) => {}
                Err(e) => {
                    tracing::warn!(job_id = %self.job.id, error = %e, "abort of the create failed");
                    note = format!(" Aborting in Azure failed: {e}.");
                    self.pending.push(
                        HistoryEvent::system(HistoryKind::AbortSent, Outcome::Failed)
                            .message(e.to_string())
                            .azure(self.azure_ids(Some(&e.azure_ids()))),
                    );
                }
            }
            match self.ctx.arm.get_cluster_read(&cluster).await {
                Ok((Some(c), read)) if c.created_by_job(&self.job.id) => {
                    self.observe(&c, Some(&read));
                    if !abort_requested
                        && c.provisioning_state() == Some(&ProvisioningState::Succeeded)
                    {
                        tracing::info!(job_id = %self.job.id, "Stop arrived after Azure had created the cluster");
                        return Err(Stop::AlreadyCreated);
                    }
                }
                Ok((Some(_), _)) | Ok((None, _)) => {
                    // Not there (or not this job's): nothing of this job is left.
                    self.progress.cluster_state = None;
                }
                Err(e) => {
                    tracing::warn!(job_id = %self.job.id, error = %e, "could not read the cluster after Stop");
                    if self.progress.cluster_state.is_none() {
                        // Unknown: say the cluster may be there rather than that it is not.
                        self.progress.cluster_state = Some("Unknown".into());
                    }
                }
            }
            self.ctx.cache.invalidate(
                &self.request.subscription_id,
                &self.request.resource_group,
                &self.request.region,
            );
        }
        let partial = self.partial_cluster(abort_requested);
        let message = if partial.is_some() {
            format!("Provisioning was cancelled. The cluster resource may remain in Azure.{note}")
        } else if reached_azure {
            format!("Provisioning was cancelled; Azure shows no cluster of it.{note}")
        } else {
            "Provisioning was cancelled before Azure created anything.".to_owned()
        };
        self.progress.message = message.clone();
        self.progress.updated_at = now_ms();
        tracing::info!(job_id = %self.job.id, partial = partial.is_some(), "provision cancelled");
        let ended = HistoryEvent::system(HistoryKind::Cancelled, Outcome::Cancelled)
            .message(message.clone())
            .details(serde_json::json!({ "partial_cluster": partial.is_some() }));
        let portal_url = self.progress.portal_url.clone();
        let explanation = explain_ended(&Ended {
            request: Some(&self.request),
            subscription_id: &self.request.subscription_id,
            region: &self.request.region,
            portal_url: portal_url.as_deref(),
            status: JobStatus::Cancelled,
            category: Some("cancelled"),
            error_code: None,
            error_message: Some(&message),
            raw_error: None,
            partial_cluster: partial.is_some(),
        });
        Ok(self
            .finish(JobUpdate {
                history: vec![ended],
                status: Some(JobStatus::Cancelled),
                progress: Some(self.progress.clone()),
                error_code: Some("Cancelled".into()),
                error_message: Some(message),
                error_category: Some("cancelled".into()),
                partial_cluster: partial,
                explanation: Some(explanation),
                ..JobUpdate::default()
            })
            .await)
    }
}
