//! The window: URL field, Connect/Disconnect, status line, message log, input line and Send.

use std::collections::BTreeSet;

use eframe::egui::{
    self, Color32, FontId, Key, Panel, Rect, RichText, ScrollArea, TextEdit, TextStyle, Ui,
};

use crate::driver::{Driver, View};
use crate::link::{Entry, Link, Retry, Status};

/// The marks in front of the log's lines. Each must be in egui's bundled fonts (which have no
/// emoji, so no "⚠"): the self-test checks every character the window draws.
const SENT_MARK: &str = "→";
const RECEIVED_MARK: &str = "←";
const NOTE_MARK: &str = "·";
const ERROR_MARK: &str = "!";

/// Where the widgets the self-test clicks were drawn in the last frame (in points).
#[derive(Clone, Copy, Debug, Default)]
pub struct Targets {
    pub url: Option<Rect>,
    pub connect: Option<Rect>,
    pub disconnect: Option<Rect>,
    pub input: Option<Rect>,
    pub send: Option<Rect>,
}

pub struct DesktopApp {
    link: Link,
    url: String,
    input: String,
    input_focused: bool,
    url_focused: bool,
    /// Characters the window drew that its fonts lack (checked only under the driver).
    missing_glyphs: BTreeSet<char>,
    /// Give the input line the focus again in the next frame (after a Send).
    refocus_input: bool,
    targets: Targets,
    /// Drives the UI in `--self-test` and `--demo` modes.
    driver: Option<Driver>,
}

impl DesktopApp {
    pub fn new(
        cc: &eframe::CreationContext<'_>,
        url: String,
        retry: Retry,
        driver: Option<Driver>,
    ) -> Self {
        // Worker threads call this when events wait: it schedules a frame, whose `logic`
        // pumps them. An idle window draws nothing until then.
        let ctx = cc.egui_ctx.clone();
        let link = Link::new(move || ctx.request_repaint(), retry);
        DesktopApp {
            link,
            url,
            input: String::new(),
            input_focused: false,
            url_focused: false,
            missing_glyphs: BTreeSet::new(),
            refocus_input: false,
            targets: Targets::default(),
            driver,
        }
    }

    fn send_input(&mut self) {
        if !self.input.is_empty() && self.link.send(&self.input) {
            self.input.clear();
        }
        self.refocus_input = true;
    }

    fn connection_panel(&mut self, ui: &mut Ui) {
        ui.add_space(6.0);
        ui.horizontal(|ui| {
            let status = self.link.status().clone();
            ui.label("URL");
            // Leave room for the two buttons on the right.
            let width = (ui.available_width() - 190.0).max(120.0);
            let url = ui.add_enabled(
                status.can_connect(),
                TextEdit::singleline(&mut self.url)
                    .desired_width(width)
                    .hint_text("ws://host:port/path"),
            );
            self.url_focused = url.has_focus();
            let connect = ui.add_enabled(status.can_connect(), egui::Button::new("Connect"));
            let disconnect = ui.add_enabled(
                status.can_disconnect(),
                egui::Button::new(status.stop_label()),
            );
            self.targets.url = Some(url.rect);
            self.targets.connect = Some(connect.rect);
            self.targets.disconnect = Some(disconnect.rect);
            if connect.clicked() {
                let url = self.url.trim().to_owned();
                self.link.connect(&url);
            }
            if disconnect.clicked() {
                self.link.disconnect();
            }
        });
        ui.horizontal(|ui| {
            let status = self.link.status();
            ui.label("Status:");
            ui.label(
                RichText::new(status.to_string())
                    .color(status_color(status))
                    .strong(),
            );
        });
        // The error itself is in the log, once: the status line says what it led to.
        ui.add_space(4.0);
    }

    fn compose_panel(&mut self, ui: &mut Ui) {
        ui.add_space(6.0);
        ui.horizontal(|ui| {
            let open = *self.link.status() == Status::Open;
            let width = (ui.available_width() - 70.0).max(120.0);
            let input = ui.add(
                TextEdit::singleline(&mut self.input)
                    .desired_width(width)
                    .hint_text("a message to send"),
            );
            if std::mem::take(&mut self.refocus_input) {
                input.request_focus();
            }
            // A single-line edit gives up the focus on Enter: that is our "send".
            let entered = input.lost_focus() && ui.input(|i| i.key_pressed(Key::Enter));
            self.input_focused = input.has_focus();
            let send = ui.add_enabled(open && !self.input.is_empty(), egui::Button::new("Send"));
            self.targets.input = Some(input.rect);
            self.targets.send = Some(send.rect);
            if send.clicked() || (entered && open) {
                self.send_input();
            }
        });
        ui.add_space(6.0);
    }

    /// Records the characters of this frame's text that the fonts cannot draw (egui would
    /// show a replacement box): the status line and buttons in the proportional font, the log
    /// in the monospace one.
    fn note_missing_glyphs(&mut self, ctx: &egui::Context) {
        let status = self.link.status();
        let labels = [
            status.to_string(),
            status.stop_label().to_owned(),
            "Connect Send URL Status:".to_owned(),
        ];
        let log: Vec<String> = self.link.log().iter().map(log_line).collect();
        let missing = &mut self.missing_glyphs;
        ctx.fonts_mut(|fonts| {
            let texts = labels
                .iter()
                .map(|text| (text, FontId::proportional(14.0)))
                .chain(log.iter().map(|text| (text, FontId::monospace(14.0))));
            for (text, font) in texts {
                for c in text.chars().filter(|c| !c.is_whitespace()) {
                    if !fonts.has_glyph(&font, c) {
                        missing.insert(c);
                    }
                }
            }
        });
    }

    fn log_panel(&self, ui: &mut Ui) {
        ScrollArea::vertical()
            .auto_shrink(false)
            .stick_to_bottom(true)
            .show(ui, |ui| {
                for entry in self.link.log() {
                    let line = RichText::new(log_line(entry));
                    let line = match entry {
                        Entry::Sent(_) => line,
                        Entry::Received(_) => line.color(RECEIVED),
                        Entry::Note(_) => line.weak(),
                        Entry::Error { .. } => line.color(ERROR),
                    };
                    ui.label(line.text_style(TextStyle::Monospace));
                }
            });
    }
}

/// A log line as the window shows it.
pub fn log_line(entry: &Entry) -> String {
    match entry {
        Entry::Sent(text) => format!("{SENT_MARK} {text}"),
        Entry::Received(text) => format!("{RECEIVED_MARK} {text}"),
        Entry::Note(text) => format!("{NOTE_MARK} {text}"),
        Entry::Error { text, times: 1 } => format!("{ERROR_MARK} {text}"),
        Entry::Error { text, times } => format!("{ERROR_MARK} {text} (×{times})"),
    }
}

const RECEIVED: Color32 = Color32::from_rgb(110, 200, 120);
const ERROR: Color32 = Color32::from_rgb(235, 100, 90);

fn status_color(status: &Status) -> Color32 {
    match status {
        Status::Open => RECEIVED,
        Status::Connecting | Status::Reconnecting { .. } | Status::Closing => {
            Color32::from_rgb(230, 190, 80)
        }
        Status::Closed { code: 1000, .. } | Status::Idle => Color32::GRAY,
        Status::Closed { .. } => ERROR,
    }
}

impl eframe::App for DesktopApp {
    fn logic(&mut self, _ctx: &egui::Context, _frame: &mut eframe::Frame) {
        // Socket callbacks run here, on the UI thread, before the frame is drawn.
        self.link.pump();
    }

    fn ui(&mut self, ui: &mut Ui, _frame: &mut eframe::Frame) {
        Panel::top("connection").show(ui, |ui| self.connection_panel(ui));
        Panel::bottom("compose").show(ui, |ui| self.compose_panel(ui));
        egui::CentralPanel::default().show(ui, |ui| self.log_panel(ui));
        if self.driver.is_some() {
            self.note_missing_glyphs(ui.ctx());
        }
        if let Some(driver) = &self.driver {
            if driver.finished() {
                ui.ctx().send_viewport_cmd(egui::ViewportCommand::Close);
            } else if driver.busy() {
                // The driver acts between frames: keep them coming while it works.
                ui.ctx().request_repaint();
            }
        }
    }

    fn raw_input_hook(&mut self, _ctx: &egui::Context, raw_input: &mut egui::RawInput) {
        if let Some(driver) = &mut self.driver {
            let view = View {
                link: &self.link,
                url: &self.url,
                url_focused: self.url_focused,
                input: &self.input,
                input_focused: self.input_focused,
                targets: &self.targets,
                missing_glyphs: &self.missing_glyphs,
            };
            driver.frame(&view, raw_input);
        }
    }
}
