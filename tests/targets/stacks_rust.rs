//! Test target for healthtop's stack capture: named Rust threads parked in known functions
//! (worker_main -> level_one -> level_two -> thread::sleep); main parks the same way after
//! printing "ready".
use std::sync::mpsc;
use std::time::Duration;

#[inline(never)]
fn level_two() -> ! {
    loop {
        std::thread::sleep(Duration::from_secs(1000));
    }
}

#[inline(never)]
fn level_one() -> ! {
    level_two()
}

#[inline(never)]
fn worker_main(ready: mpsc::Sender<()>) {
    ready.send(()).expect("main is waiting");
    level_one()
}

fn main() {
    let (tx, rx) = mpsc::channel();
    for n in 1..=2 {
        let tx = tx.clone();
        std::thread::Builder::new()
            .name(format!("rs-worker-{n}"))
            .spawn(move || worker_main(tx))
            .expect("spawn");
    }
    for _ in 0..2 {
        rx.recv().expect("worker started");
    }
    println!("ready");
    level_one()
}
