//! Runs the UI's [`Effect`]s: each call into the core is a task of its own whose result comes back to the UI
//! loop as a [`Done`], so no call, however slow (a redeem waits up to the dial timeout), holds up the keys.
//! This is the one place the terminal UI calls the core.

use super::state::{Done, Effect};
use crate::session::Session;
use std::collections::HashMap;
use std::sync::Arc;
use tokio::sync::mpsc;
use tokio::task::AbortHandle;

pub struct Tasks {
    session: Arc<Session>,
    done: mpsc::UnboundedSender<Done>,
    /// The slow work that can be cancelled, by ticket.
    cancellable: HashMap<u64, AbortHandle>,
}

impl Tasks {
    pub fn new(session: Arc<Session>) -> (Tasks, mpsc::UnboundedReceiver<Done>) {
        let (done, rx) = mpsc::unbounded_channel();
        let tasks = Tasks {
            session,
            done,
            cancellable: HashMap::new(),
        };
        (tasks, rx)
    }

    pub fn run(&mut self, effect: Effect) {
        let sentence = |e: clearchat_core::Error| e.to_string();
        let ticket = match &effect {
            Effect::CreateInvite { ticket, .. }
            | Effect::Redeem { ticket, .. }
            | Effect::Unlink { ticket, .. } => Some(*ticket),
            Effect::Cancel { ticket } => {
                if let Some(task) = self.cancellable.remove(ticket) {
                    task.abort();
                }
                return;
            }
            _ => None,
        };
        self.cancellable.retain(|_, task| !task.is_finished());
        let s = self.session.clone();
        let task = self.spawn(async move {
            let client = &s.client;
            match effect {
                Effect::LoadMe => Done::Me(client.me().map_err(sentence)),
                Effect::LoadBuddies => Done::Buddies(client.buddies().await.map_err(sentence)),
                Effect::LoadPage { buddy, before } => {
                    let older = before.is_some();
                    let page = client
                        .conversation(&buddy, before, super::conversation::PAGE)
                        .await
                        .map_err(sentence);
                    Done::Page { buddy, older, page }
                }
                Effect::LoadDevices => Done::Devices(client.devices().await.map_err(sentence)),
                Effect::MarkRead { buddy } => match client.mark_read(&buddy, None).await {
                    Ok(()) => return None,
                    Err(e) => Done::Failed(e.to_string()),
                },
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
                Effect::Cancel { .. } => return None,
            }
            .into()
        });
        if let Some(ticket) = ticket {
            self.cancellable.insert(ticket, task);
        }
    }

    fn spawn(
        &self,
        work: impl std::future::Future<Output = Option<Done>> + Send + 'static,
    ) -> AbortHandle {
        let done = self.done.clone();
        tokio::spawn(async move {
            if let Some(result) = work.await {
                let _ = done.send(result);
            }
        })
        .abort_handle()
    }
}
