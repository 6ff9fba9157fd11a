//! Who is signed in, and where the dashboard works: the session the page is rendered for.

use leptos::prelude::*;

use crate::api_error::ApiError;
use crate::identity::{Role, SessionInfo};

/// Who is looking at the page, for what it offers them: their role, and whose jobs they may act
/// on. Provided by the `ClusterCard` island; cheap to copy.
#[derive(Clone, Copy)]
pub struct Viewer {
    role: Role,
    user_id: StoredValue<String>,
}

impl Viewer {
    pub fn provide(session: &SessionInfo) -> Self {
        let this = Self {
            role: session.role,
            user_id: StoredValue::new(session.user_id.clone()),
        };
        provide_context(this);
        this
    }

    /// The page's viewer; without one (a component shown on its own), an operator.
    pub fn current() -> Option<Self> {
        use_context::<Self>()
    }

    pub fn role(self) -> Role {
        self.role
    }

    /// Whether the viewer may change things (create, stop, dismiss, delete): an Operator or
    /// an Admin.
    pub fn may_change(self) -> bool {
        self.role.allows(Role::Operator)
    }

    /// Whether the viewer may stop or clean up after a job of `owner_id`: an Operator their
    /// own, an Admin anyone's.
    pub fn may_act_for(self, owner_id: &str) -> bool {
        self.role.allows(Role::Admin)
            || (self.may_change() && self.user_id.with_value(|id| id == owner_id))
    }
}

/// The page learned that its sign-in has ended (an answer was 401 `unauthenticated`): a notice
/// offers to sign in again in a new tab, and nothing on the page is lost. Provided by the
/// `ClusterCard` island; cheap to copy.
#[derive(Clone, Copy)]
pub struct SignInAgain {
    needed: RwSignal<bool>,
    url: StoredValue<String>,
}

impl SignInAgain {
    pub fn provide(session: &SessionInfo) -> Self {
        let this = Self {
            needed: RwSignal::new(false),
            url: StoredValue::new(session.sign_in_again_url.clone()),
        };
        provide_context(this);
        // Back on this tab (after signing in in another): the next answer says whether it
        // worked; until then the notice goes.
        #[cfg(feature = "hydrate")]
        {
            let handle = window_event_listener(leptos::ev::focus, move |_| {
                if this.needed.try_get_untracked() == Some(true) {
                    this.needed.set(false);
                }
            });
            on_cleanup(move || handle.remove());
        }
        this
    }

    /// Whether `err` says the sign-in ended; if so, the page's notice shows.
    pub fn note(err: &ApiError) -> bool {
        let ended = err.is(crate::refusal::Refusal::Unauthenticated);
        if ended && let Some(this) = use_context::<SignInAgain>() {
            this.needed.try_set(true);
        }
        ended
    }
}

/// "Your sign-in has ended": a link that signs in again in a new tab. Shown where the user is
/// (on the card, and in the form while it is open).
#[component]
pub fn SignInAgainNotice() -> impl IntoView {
    let this = use_context::<SignInAgain>();
    move || {
        let this = this.filter(|t| t.needed.get())?;
        let url = this.url.get_value();
        Some(view! {
            <div class="notice notice-warn sign-in-again" role="alert" data-testid="sign-in-again">
                <span>
                    "Your sign-in has ended. "
                    <a href=url target="_blank" rel="noopener" data-testid="sign-in-again-link">
                        "Sign in again"
                        <span class="visually-hidden">" (opens a new tab)"</span>
                    </a>
                    ", then come back and try again: what you typed here stays."
                </span>
            </div>
        })
    }
}

/// "Signed in as …" in the top bar, with the role and, where it ends something, Sign out.
/// Rendered on the server only. Sign out is a form that posts: it works before (and without)
/// the page's script, and no other site's link can do it.
#[component]
pub fn SignedInUser(session: SessionInfo) -> impl IntoView {
    let sign_out = session.can_sign_out.then(|| {
        view! {
            <form class="user-sign-out-form" method="post" action="/auth/logout">
                <button type="submit" class="user-sign-out" data-testid="sign-out">
                    "Sign out"
                </button>
            </form>
        }
    });
    view! {
        <div class="user">
            <span class="user-label">"Signed in as"</span>
            <span class="user-name" data-testid="signed-in-user">
                {session.user}
            </span>
            <span class="user-role" data-testid="signed-in-role" title="Your role in this dashboard">
                {session.role.label()}
            </span>
            {sign_out}
        </div>
    }
}
