// The screens: the day's jobs, one job in full, the Complete choices, the profile. Pure rendering from state;
// every tap calls back into app.js.
import { addDays, chip, clock, dayTitle, h, platform } from "./ui.js";

const UNDER_WAY = ["en_route", "arrived", "in_progress"];

function pendingBadge(n) {
  return n ? h("span", { class: "waiting" }, n === 1 ? "1 change waiting to send" : n + " changes waiting to send") : null;
}

export function dayView(s, on) {
  const { cfg, day } = s;
  const today = s.today;
  const isToday = day.date === today;
  const prevLabel = day.date === addDays(today, 1) ? "◀ Today" : isToday ? "◀ Yesterday" : "◀ Earlier";
  const nextLabel = day.date === addDays(today, -1) ? "Today ▶" : isToday ? "Tomorrow ▶" : "Later ▶";
  const nav = h("nav", { class: "daynav", "aria-label": "Day" },
    h("a", { class: "btn btn-secondary", href: "#day/" + addDays(day.date, -1) }, prevLabel),
    h("h1", {}, isToday ? "Today" : dayTitle(day.date).split(",")[0],
      h("small", {}, dayTitle(day.date))),
    h("a", { class: "btn btn-secondary", href: "#day/" + addDays(day.date, 1) }, nextLabel));
  const parts = [nav];
  if (!isToday) parts.push(h("p", {}, h("a", { class: "btn btn-secondary btn-block", href: "#" }, "Back to today")));
  if (day.fromCache) {
    parts.push(h("p", { class: "alert alert-info" },
      "Offline — showing this day as it was loaded at " + clock(day.savedAt) + "."));
  }
  if (day.error) parts.push(h("p", { class: "alert alert-error", role: "alert" }, day.error));
  if (!day.jobs) {
    parts.push(h("p", { class: "empty" }, "Loading your jobs…"));
    return parts;
  }
  if (!day.jobs.length) {
    parts.push(h("p", { class: "empty" }, isToday ? "No jobs for you today." : "No jobs on this day."));
    return parts;
  }
  const list = h("ol", { class: "jobs", "aria-label": "Jobs in window order" });
  for (const job of day.jobs) {
    const p = cfg.palette[job.status] || {};
    const tag = job.is_next ? (UNDER_WAY.includes(job.status) ? "NOW" : "NEXT") : null;
    list.append(h("li", {},
      h("a", { class: "job" + (job.is_next ? " next" : ""), href: "#job/" + job.id,
               style: { borderColor: job.is_next ? "#0B5FA5" : null, borderLeftColor: p.border },
               "aria-label": (tag ? tag + ": " : "") + job.customer_name + ", " + job.window_text + ", " + p.label },
        tag ? h("span", { class: "tag" }, tag) : null,
        h("div", { class: "row" }, h("span", { class: "when" }, job.window_text), chip(cfg.palette, job.status)),
        h("div", { class: "who" }, job.customer_name),
        h("div", { class: "where" }, job.short_address || job.address || ""),
        h("div", { class: "what" }, job.service_type),
        pendingBadge(s.pendingFor(job.id)))));
  }
  parts.push(list);
  return parts;
}

function directionsLink(job, cls) {
  const links = job.directions;
  if (!links) return null;
  return h("a", { class: cls, href: links[platform()] || links.web, target: "_blank", rel: "noopener" },
    "Get Directions");
}

function actionButtons(s, job, on) {
  const box = h("div", { class: "actions" });
  const pending = s.pendingFor(job.id);
  const actions = s.actionsFor(job);
  actions.forEach((a, i) => {
    const cls = "btn btn-block btn-big " + (i === 0 ? "btn-primary" : "btn-secondary");
    box.append(h("button", { class: cls, type: "button", "data-action": a.action,
                             onclick: (e) => on.action(job, a, e.currentTarget) }, a.label));
  });
  if (!actions.length) {
    const closed = ["complete", "cancelled", "paused"].includes(job.status);
    box.append(h("p", { class: "muted" }, closed ? "This visit is closed." :
      job.status === "arrived" ? "" : "Nothing to do on this job right now."));
  }
  if (pending) box.append(pendingBadge(pending));
  return box;
}

function statusBanner(s, job) {
  const p = s.cfg.palette[job.status] || {};
  return h("section", { class: "banner", style: { background: p.fill, borderColor: p.border, color: p.text },
                        "aria-label": "Status" },
    h("div", { class: "label" }, h("span", { "aria-hidden": "true" }, p.glyph), p.label),
    job.status === "arrived" ? h("div", {}, "You are on site — tap Start Appointment when you begin.") : null,
    job.status === "paused" && job.customer_message ? h("div", {}, "Told the customer: “" + job.customer_message + "”")
      : null);
}

function notesList(notes, empty) {
  if (!notes.length) return h("p", { class: "muted" }, empty);
  return h("ul", { class: "notes" }, notes.map((n) => h("li", {},
    h("div", { class: "meta" }, [n.author_name || n.source, n.author_role ? "(" + n.author_role + ")" : "",
      "· " + (n.time_text || "")].filter(Boolean).join(" ")),
    n.text ? h("div", {}, n.text) : null,
    n.photos && n.photos.length ? h("div", { class: "photos" },
      n.photos.map((u) => h("a", { href: u, target: "_blank" }, h("img", { src: u, alt: "Photo from the customer",
                                                                              loading: "lazy" })))) : null,
    n.waiting ? pendingBadge(1) : null)));
}

export function jobView(s, on) {
  const job = s.job;
  const parts = [h("a", { class: "back", href: "#day/" + (job.day || s.today) }, "← All jobs")];
  if (s.jobOffline) parts.push(h("p", { class: "alert alert-info" }, "Offline — showing this job as last loaded."));
  if (job.status === "en_route") {
    parts.push(h("section", { class: "enroute", "aria-label": "En Route" },
      h("div", { class: "head" }, h("span", { "aria-hidden": "true" }, "➜"),
        h("div", {}, "En Route", h("small", {}, "The customer was told you are on the way."))),
      h("div", { class: "minimap", id: "minimap", role: "img", "aria-label": "Map of you and the job site" }),
      h("p", { class: "map-note", id: "map-note", hidden: true }),
      directionsLink(job, "btn btn-block btn-route")));
  } else {
    parts.push(statusBanner(s, job));
  }
  parts.push(h("h1", { class: "who-big" }, job.customer_name),
    h("p", { class: "sub" }, job.service_type + " · " + job.window_text + (job.day && job.day !== s.today ?
      " · " + dayTitle(job.day) : "")));
  parts.push(actionButtons(s, job, on));
  const phone = job.customer && job.customer.phone;
  parts.push(h("section", { class: "card", "aria-label": "Address" }, h("h2", {}, "Address"),
    h("p", {}, job.full_address || job.address || "No address on file."),
    h("div", { class: "linkrow" },
      job.status === "en_route" ? null : directionsLink(job, "btn btn-secondary"),
      phone ? h("a", { class: "btn btn-secondary", href: "tel:" + phone }, "Call " + job.customer_name.split(" ")[0])
        : null)));
  parts.push(h("section", { class: "card", "aria-label": "Job description" }, h("h2", {}, "Job description"),
    h("p", {}, job.description || "No description.")));
  parts.push(notesCard(s, job, on));
  parts.push(h("section", { class: "card", "aria-label": "From the customer" },
    h("h2", {}, "From the customer before the visit"),
    notesList(job.customer_notes || [], "Nothing from the customer.")));
  if (job.internal_notes) {
    parts.push(h("section", { class: "card internal", "aria-label": "Internal notes" },
      h("h2", {}, "Internal notes — staff only"), h("p", {}, job.internal_notes)));
  }
  if (job.contacts && job.contacts.length) {
    parts.push(h("section", { class: "card", "aria-label": "Job contacts" }, h("h2", {}, "Job contacts"),
      h("ul", { class: "notes" }, job.contacts.map((c) => h("li", {},
        h("div", {}, h("strong", {}, c.name), c.relation ? " · " + c.relation : ""),
        c.phone ? h("a", { class: "btn btn-secondary", href: "tel:" + c.phone }, "Call " + c.phone) : null)))));
  }
  parts.push(photosCard(s, job, on));
  return parts;
}

function notesCard(s, job, on) {
  const text = h("textarea", { id: "note-text", name: "text", maxlength: 4000, required: true,
                               "aria-label": "Your note for the team", placeholder: "e.g. Replaced the shut-off valve; customer wants a quote for the water heater." });
  const form = h("form", { class: "stack", onsubmit: (e) => { e.preventDefault(); on.note(job, text); } },
    text, h("button", { class: "btn btn-primary btn-block", type: "submit" }, "Add note"));
  return h("section", { class: "card", "aria-label": "Notes from the team" },
    h("h2", {}, "Notes from the team"),
    notesList([...(job.team_notes || []), ...s.pendingNotes(job.id)], "No notes yet."), form);
}

function photosCard(s, job, on) {
  const input = h("input", { type: "file", accept: "image/*", capture: "environment", id: "photo-input",
                             onchange: (e) => on.photo(job, e.currentTarget) });
  const pending = s.pendingPhotos(job.id);
  const photos = [...(job.photos || []).map((p) => h("figure", {},
    h("a", { href: p.url, target: "_blank" }, h("img", { src: p.url, alt: p.caption || "Visit photo", loading: "lazy" })),
    h("figcaption", {}, p.shared_with_customer ? "Shared with customer" : "Team only"))),
  ...pending.map((p) => h("figure", {}, h("img", { src: p.preview, alt: "Photo waiting to send" }),
    h("figcaption", {}, "Waiting to send")))];
  return h("section", { class: "card", "aria-label": "Photos" }, h("h2", {}, "Photos"),
    photos.length ? h("div", { class: "photos" }, photos) : h("p", { class: "muted" }, "No photos yet."),
    h("p", { class: "muted" }, "The office decides which photos the customer sees."),
    h("label", { class: "btn btn-secondary btn-block filebtn" }, "📷 Take or add a photo", input));
}

export function completeSheet(job, choices, on) {
  const msg = h("textarea", { id: "pause-message", maxlength: 2000, "aria-label": "Message for the customer",
    placeholder: "e.g. The part is on order — we'll call you to book the follow-up visit." });
  const err = h("p", { class: "alert alert-error", role: "alert", hidden: true });
  const pauseForm = h("form", { class: "stack", hidden: true, onsubmit: (e) => {
    e.preventDefault();
    if (!msg.value.trim()) {
      err.textContent = "Write a message for the customer — pausing needs one. They see it in their portal.";
      err.hidden = false;
      msg.focus();
      return;
    }
    on.finish(job, choices.find((c) => c.action === "pause"), msg.value.trim());
  } },
  h("label", { class: "field", for: "pause-message" }, "Message for the customer (required)"), msg, err,
  h("button", { class: "btn btn-primary btn-block btn-big", type: "submit" }, "Pause job and send message"));
  const buttons = choices.map((c) => h("button", { class: "btn choice " + (c.action === "complete" ? "btn-primary"
    : "btn-secondary"), type: "button", "data-choice": c.action, onclick: () => {
    if (c.needs_message) { pauseForm.hidden = false; msg.focus(); } else on.finish(job, c, "");
  } }, c.label));
  const back = h("div", { class: "sheet-back", onclick: (e) => { if (e.target === back) on.close(); } },
    h("div", { class: "sheet", role: "dialog", "aria-modal": "true", "aria-label": "Complete this visit" },
      h("h2", {}, "Complete — " + job.customer_name), ...buttons, pauseForm,
      h("button", { class: "btn btn-secondary btn-block", type: "button", onclick: () => on.close() }, "Not now")));
  return back;
}

function bust(url) {
  return url + (url.includes("?") ? "&" : "?") + "t=" + Date.now();
}

export function profileView(s, on) {
  const p = s.profile;
  const parts = [h("a", { class: "back", href: "#" }, "← Today's jobs"), h("h1", { class: "title" }, "My profile")];
  if (!p) {
    parts.push(h("p", { class: "empty" }, s.profileError || "Loading…"));
    return parts;
  }
  const badge = h("span", { class: "badge badge-" + p.bio_status },
    { none: "Not submitted", pending: "Waiting for approval", approved: "Approved", rejected: "Not approved" }[p.bio_status]);
  const bio = h("textarea", { id: "bio", maxlength: 2000, "aria-label": "Your bio" }, p.bio_pending || p.bio || "");
  const photoInput = h("input", { type: "file", accept: "image/*", capture: "user", onchange: (e) => on.profilePhoto(e.currentTarget) });
  parts.push(h("section", { class: "card", "aria-label": "Photo and bio status" },
    h("div", { class: "avatars" },
      h("figure", { style: { margin: 0 } }, p.photo_url ? h("img", { class: "avatar", src: bust(p.photo_url), alt: "Your photo customers see" })
        : h("div", { class: "avatar", role: "img", "aria-label": "No photo yet" }), h("figcaption", { class: "muted" }, "Customers see")),
      p.photo_pending_url ? h("figure", { style: { margin: 0 } }, h("img", { class: "avatar", src: bust(p.photo_pending_url), alt: "Your new photo" }),
        h("figcaption", { class: "muted" }, "New — waiting")) : null),
    h("p", {}, badge, " ", p.bio_status_text),
    p.bio_status === "rejected" && p.bio_reject_reason ? h("p", { class: "alert alert-error" }, "The office said: " + p.bio_reject_reason) : null,
    h("label", { class: "btn btn-secondary btn-block filebtn" }, "📷 New photo", photoInput)));
  parts.push(h("form", { class: "card stack", onsubmit: (e) => { e.preventDefault(); on.saveBio(bio.value); } },
    h("h2", {}, "About me"), h("p", { class: "muted" }, "Shown to customers on the tracker after the office approves it."),
    bio, h("button", { class: "btn btn-primary btn-block", type: "submit" }, "Send bio for approval")));
  parts.push(h("section", { class: "card", "aria-label": "Location in the background" }, h("h2", {}, "Location when the screen is off"),
    h("p", {}, "This page can only send your location while it is open and the screen is on. For tracking in the background, install Traccar Client (free, Android and iPhone) and ask the office for its setup QR code.")));
  parts.push(h("form", { method: "post", action: "/field/logout", onsubmit: (e) => on.signOut(e) },
    h("input", { type: "hidden", name: "csrf_token", value: s.cfg.csrf }),
    h("button", { class: "btn btn-danger btn-block", type: "submit" }, "Sign out of this phone")));
  return parts;
}
