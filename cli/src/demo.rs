//! `clearchat demo`: the story of DESIGN.md section 1 with three in-process clients (Amy's laptop, Amy's phone,
//! Betty) in temp dirs on loopback, each step printed with its measured time; fails unless every message arrived
//! on every device. Waits poll with deadlines, never fixed sleeps.

use clearchat_core::{Client, Config};
use std::future::Future;
use std::io::Write;
use std::time::{Duration, Instant};

/// How long one step may take before the demo fails.
const STEP_DEADLINE: Duration = Duration::from_secs(60);

struct Step {
    number: usize,
    started: Instant,
}

impl Step {
    fn begin(&mut self, what: &str) {
        self.number += 1;
        print!("{:>2}. {what:<62}", self.number);
        let _ = std::io::stdout().flush();
        self.started = Instant::now();
    }

    fn end(&self) {
        println!("{:>7.0} ms", self.started.elapsed().as_secs_f64() * 1000.0);
    }
}

fn fail<E: std::fmt::Display>(what: &str) -> impl FnOnce(E) -> String + '_ {
    move |e| format!("{what}: {e}")
}

/// Polls `condition` until it holds, or fails with `what` after the deadline.
async fn until<F, Fut>(what: &str, mut condition: F) -> Result<(), String>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let start = Instant::now();
    let mut pause = Duration::from_millis(5);
    while !condition().await {
        if start.elapsed() > STEP_DEADLINE {
            println!();
            return Err(format!(
                "the demo failed: no {what} after {} s",
                STEP_DEADLINE.as_secs()
            ));
        }
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(Duration::from_millis(100));
    }
    Ok(())
}

async fn texts(client: &Client, buddy: &str) -> Vec<String> {
    client
        .conversation(buddy, None, 1000)
        .await
        .unwrap_or_default()
        .into_iter()
        .map(|m| m.text)
        .collect()
}

async fn has_all(client: &Client, buddy: &str, wanted: &[String]) -> bool {
    let have = texts(client, buddy).await;
    wanted.iter().all(|w| have.contains(w))
}

async fn device(dir: &tempfile::TempDir, name: &str, person: &str) -> Result<Client, String> {
    let client = Client::open_with(dir.path(), name, Config::loopback())
        .map_err(fail("opening a device"))?;
    client
        .set_person_name(person)
        .await
        .map_err(fail("naming a person"))?;
    Ok(client)
}

pub async fn run() -> Result<(), String> {
    let total = Instant::now();
    let dirs: Vec<tempfile::TempDir> = (0..3)
        .map(|_| tempfile::tempdir())
        .collect::<Result<_, _>>()
        .map_err(fail("making temp dirs"))?;
    println!(
        "Clearchat demo: Amy's laptop, Amy's phone and Betty's phone on this machine (loopback).\n"
    );
    let mut step = Step {
        number: 0,
        started: Instant::now(),
    };

    step.begin("Amy's laptop starts and goes online");
    let laptop = device(&dirs[0], "Amy laptop", "Amy").await?;
    laptop.start().await.map_err(fail("starting the laptop"))?;
    step.end();

    step.begin("the laptop shows a link QR; Amy's new phone redeems it");
    let phone = Client::open_with(dirs[1].path(), "Amy phone", Config::loopback())
        .map_err(fail("opening the phone"))?;
    let link = laptop
        .create_link_invite()
        .await
        .map_err(fail("making a link code"))?;
    phone
        .redeem(&link.uri)
        .await
        .map_err(fail("linking the phone"))?;
    until("second device on the phone", || async {
        phone.devices().await.map(|d| d.len() == 2).unwrap_or(false)
    })
    .await?;
    step.end();

    step.begin("the laptop invites Betty; Betty's phone redeems the code");
    let betty = device(&dirs[2], "Betty phone", "Betty").await?;
    let invite = laptop
        .create_buddy_invite("Betty")
        .await
        .map_err(fail("making a buddy code"))?;
    betty
        .redeem(&invite.code)
        .await
        .map_err(fail("adding Amy as a buddy"))?;
    until("Betty on the laptop", || async {
        laptop
            .buddies()
            .await
            .is_ok_and(|b| b.iter().any(|b| b.name == "Betty"))
    })
    .await?;
    step.end();

    step.begin("Amy's phone gets Betty as a buddy by itself");
    until("Betty on the phone", || async {
        phone
            .buddies()
            .await
            .is_ok_and(|b| b.iter().any(|b| b.name == "Betty"))
    })
    .await?;
    step.end();

    let mut expected: Vec<String> = Vec::new();
    step.begin("messages every way: laptop, phone and Betty each send one");
    for (client, buddy, text) in [
        (&laptop, "Betty", "Hi Betty, from my laptop"),
        (&phone, "Betty", "And from my phone"),
        (&betty, "Amy", "Hi Amy!"),
    ] {
        client
            .send(buddy, text)
            .await
            .map_err(fail("sending a message"))?;
        expected.push(text.to_string());
    }
    for (client, buddy) in [(&laptop, "Betty"), (&phone, "Betty"), (&betty, "Amy")] {
        until("three messages on every device", || {
            has_all(client, buddy, &expected)
        })
        .await?;
    }
    step.end();

    step.begin("Amy's phone goes to sleep (offline)");
    phone.stop().await.map_err(fail("stopping the phone"))?;
    step.end();

    step.begin("Betty sends two messages; Amy's laptop has them");
    for text in ["Are you there?", "Dinner at eight?"] {
        betty
            .send("Amy", text)
            .await
            .map_err(fail("sending a message"))?;
        expected.push(text.to_string());
    }
    until("Betty's messages on the laptop", || {
        has_all(&laptop, "Betty", &expected)
    })
    .await?;
    step.end();

    step.begin("Betty goes offline too");
    betty.stop().await.map_err(fail("stopping Betty"))?;
    step.end();

    step.begin("the phone wakes up: only the laptop is reachable; it catches up");
    phone.start().await.map_err(fail("restarting the phone"))?;
    until("Betty's messages on the phone", || {
        has_all(&phone, "Betty", &expected)
    })
    .await?;
    step.end();

    step.begin("the phone answers; Betty comes back and gets it");
    phone
        .send("Betty", "Yes! See you at eight")
        .await
        .map_err(fail("sending a message"))?;
    expected.push("Yes! See you at eight".into());
    betty.start().await.map_err(fail("restarting Betty"))?;
    for (client, buddy) in [(&laptop, "Betty"), (&phone, "Betty"), (&betty, "Amy")] {
        until("every message on every device", || {
            has_all(client, buddy, &expected)
        })
        .await?;
    }
    step.end();

    let _ = tokio::join!(laptop.stop(), phone.stop(), betty.stop());
    println!(
        "\nEvery message ({}) arrived on every device (3) in {:.1} s.",
        expected.len(),
        total.elapsed().as_secs_f64()
    );
    Ok(())
}
