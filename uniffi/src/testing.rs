//! Entry points only tests use, built with the `testing` feature (scripts/kotlin-test.sh); the mobile
//! builds leave them out.

use crate::client::ClearchatClient;
use crate::errors::Result;
use crate::records::{Invite, InvitePurpose};
use clearchat_core as core;

#[uniffi::export]
impl ClearchatClient {
    /// An invite with a chosen lifetime in seconds (0: already expired).
    pub async fn create_invite(
        &self,
        purpose: InvitePurpose,
        label: String,
        ttl_secs: u64,
    ) -> Result<Invite> {
        let invite =
            core::testing::create_invite(&self.inner, purpose.into(), &label, ttl_secs).await?;
        Ok(invite.into())
    }
}
