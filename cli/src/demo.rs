//! `clearchat demo`: the story of DESIGN.md section 1 with three in-process clients (Amy's laptop, Amy's phone,
//! Betty) in temp dirs on loopback, each step printed with its measured time; fails unless every message arrived
//! on every device. Devices and waits come from the test kit: waits poll with deadlines, never fixed sleeps.

use clearchat_testkit::{poll, Device};
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
async fn until<F, Fut>(what: &str, condition: F) -> Result<(), String>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    if poll(STEP_DEADLINE, condition).await {
        return Ok(());
    }
    println!();
    Err(format!(
        "the demo failed: no {what} after {} s",
        STEP_DEADLINE.as_secs()
    ))
}

async fn has_all(device: &Device, buddy: &str, wanted: &[String]) -> bool {
    let have = device.texts(buddy).await;
    wanted.iter().all(|w| have.contains(w))
}

pub async fn run() -> Result<(), String> {
    let total = Instant::now();
    println!(
        "Clearchat demo: Amy's laptop, Amy's phone and Betty's phone on this machine (loopback).\n"
    );
    let mut step = Step {
        number: 0,
        started: Instant::now(),
    };

    step.begin("Amy's laptop starts and goes online");
    let laptop = Device::create("Amy laptop", "Amy")
        .await
        .map_err(fail("opening the laptop"))?;
    laptop
        .client
        .start()
        .await
        .map_err(fail("starting the laptop"))?;
    step.end();

    step.begin("the laptop shows a link QR; Amy's new phone redeems it");
    let phone = Device::create("Amy phone", "Amy")
        .await
        .map_err(fail("opening the phone"))?;
    let link = laptop
        .client
        .create_link_invite()
        .await
        .map_err(fail("making a link code"))?;
    phone
        .client
        .redeem(&link.uri)
        .await
        .map_err(fail("linking the phone"))?;
    until("second device on the phone", || async {
        phone
            .client
            .devices()
            .await
            .map(|d| d.len() == 2)
            .unwrap_or(false)
    })
    .await?;
    step.end();

    step.begin("the laptop invites Betty; Betty's phone redeems the code");
    let betty = Device::create("Betty phone", "Betty")
        .await
        .map_err(fail("opening Betty's phone"))?;
    let invite = laptop
        .client
        .create_buddy_invite("Betty")
        .await
        .map_err(fail("making a buddy code"))?;
    betty
        .client
        .redeem(&invite.code)
        .await
        .map_err(fail("adding Amy as a buddy"))?;
    until("Betty on the laptop", || laptop.lists("Betty", false)).await?;
    step.end();

    step.begin("Amy's phone gets Betty as a buddy by itself");
    until("Betty on the phone", || phone.lists("Betty", false)).await?;
    step.end();

    let mut expected: Vec<String> = Vec::new();
    step.begin("messages every way: laptop, phone and Betty each send one");
    for (device, buddy, text) in [
        (&laptop, "Betty", "Hi Betty, from my laptop"),
        (&phone, "Betty", "And from my phone"),
        (&betty, "Amy", "Hi Amy!"),
    ] {
        device
            .send(buddy, text)
            .await
            .map_err(fail("sending a message"))?;
        expected.push(text.to_string());
    }
    for (device, buddy) in [(&laptop, "Betty"), (&phone, "Betty"), (&betty, "Amy")] {
        until("three messages on every device", || {
            has_all(device, buddy, &expected)
        })
        .await?;
    }
    step.end();

    step.begin("Amy's phone goes to sleep (offline)");
    phone
        .client
        .stop()
        .await
        .map_err(fail("stopping the phone"))?;
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
    betty.client.stop().await.map_err(fail("stopping Betty"))?;
    step.end();

    step.begin("the phone wakes up: only the laptop is reachable; it catches up");
    phone
        .client
        .start()
        .await
        .map_err(fail("restarting the phone"))?;
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
    betty
        .client
        .start()
        .await
        .map_err(fail("restarting Betty"))?;
    for (device, buddy) in [(&laptop, "Betty"), (&phone, "Betty"), (&betty, "Amy")] {
        until("every message on every device", || {
            has_all(device, buddy, &expected)
        })
        .await?;
    }
    step.end();

    let _ = tokio::join!(laptop.close(), phone.close(), betty.close());
    println!(
        "\nEvery message ({}) arrived on every device (3) in {:.1} s.",
        expected.len(),
        total.elapsed().as_secs_f64()
    );
    Ok(())
}
