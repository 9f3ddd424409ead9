//! Runs the UI's [`Effect`]s: each call into the core is a task of its own whose result comes back to the UI
//! loop as a [`Done`], so no call, however slow (a redeem waits up to the dial timeout), holds up the keys.
//! This is the one place the terminal UI calls the core.

use super::conversation::PAGE;
use super::state::{Done, Effect};
use crate::session::Session;
use std::sync::Arc;
use tokio::sync::mpsc;

pub struct Tasks {
    session: Arc<Session>,
    done: mpsc::UnboundedSender<Done>,
}

impl Tasks {
    pub fn new(session: Arc<Session>) -> (Tasks, mpsc::UnboundedReceiver<Done>) {
        let (done, rx) = mpsc::unbounded_channel();
        (Tasks { session, done }, rx)
    }

    pub fn run(&self, effect: Effect) {
        let session = self.session.clone();
        let done = self.done.clone();
        tokio::spawn(async move {
            if let Some(result) = call(&session, effect).await {
                let _ = done.send(result);
            }
        });
    }
}

/// Makes the call of `effect`; None when there is nothing to tell.
async fn call(session: &Session, effect: Effect) -> Option<Done> {
    let client = &session.client;
    let sentence = |e: clearchat_core::Error| e.to_string();
    Some(match effect {
        Effect::LoadMe => Done::Me(client.me().map_err(sentence)),
        Effect::LoadBuddies => Done::Buddies(client.buddies().await.map_err(sentence)),
        Effect::LoadPage { buddy, before } => {
            let older = before.is_some();
            let page = client.conversation(&buddy, before, PAGE).await;
            Done::Page {
                buddy,
                older,
                page: page.map_err(sentence),
            }
        }
        Effect::LoadDevices => Done::Devices(client.devices().await.map_err(sentence)),
        Effect::MarkRead { buddy } => {
            // Success shows as the read marker's event.
            let e = client.mark_read(&buddy, None).await.err()?;
            Done::Failed(sentence(e))
        }
        Effect::Send { buddy, text } => {
            let result = client.send(&buddy, &text).await.map_err(sentence);
            Done::Sent {
                buddy,
                text,
                result,
            }
        }
        Effect::CreateInvite { ticket, link } => {
            let result = if link {
                client.create_link_invite().await
            } else {
                client.create_buddy_invite("").await
            };
            Done::Invite {
                ticket,
                link,
                result: result.map_err(sentence),
            }
        }
        Effect::Redeem { ticket, code } => {
            let result = client.redeem(&code).await.map_err(sentence);
            Done::Redeemed {
                ticket,
                code,
                result,
            }
        }
        Effect::Unlink {
            ticket,
            device,
            name,
        } => {
            let result = client.revoke_device(&device).await.map_err(sentence);
            Done::Unlinked {
                ticket,
                name,
                result,
            }
        }
    })
}
