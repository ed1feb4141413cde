//! The resolvers: who may ask for what, and which backend call answers it.

use std::sync::Arc;

use async_graphql::{
    Context, EmptySubscription, Error, ErrorExtensions, ID, Object, Result, Schema, SchemaBuilder,
};
use auth::{AuthError, Principal};

use crate::backend::{
    Backend, BackendError, DashboardArgs, ItemKind, RankedItem, StoredRecommendation,
};
use crate::loader::RecommendationLoader;
use crate::types::{
    Course, DashboardMetrics, DashboardType, DimensionFilter, Granularity, MetricsRefresh,
    Recommendation, RecommendationFilters, RecommendedCourse, RecommendedTutor, StudyPlan, Tutor,
};

/// The subgraph's schema.
pub type SubgraphSchema = Schema<Query, Mutation, EmptySubscription>;

/// Its builder.
pub(crate) type SubgraphBuilder = SchemaBuilder<Query, Mutation, EmptySubscription>;

/// Who is calling, as the request's `Authorization` header says.
#[derive(Debug, Clone)]
pub enum Caller {
    /// A verified token.
    Verified(Principal),
    /// No usable token.
    Refused(AuthError),
    /// No JWT key is configured: nobody can be verified (a deployment error).
    Misconfigured,
}

impl Caller {
    fn principal(&self) -> Result<&Principal> {
        match self {
            Caller::Verified(p) => Ok(p),
            Caller::Refused(e) => Err(auth_error(e)),
            Caller::Misconfigured => Err(internal("the GraphQL service is misconfigured")),
        }
    }

    fn require_admin(&self) -> Result<()> {
        self.principal()?
            .require_admin()
            .map_err(|e| auth_error(&e))
    }

    fn require_self_or_admin(&self, user_id: &str) -> Result<()> {
        self.principal()?
            .require_self_or_admin(user_id)
            .map_err(|e| auth_error(&e))
    }
}

fn auth_error(e: &AuthError) -> Error {
    let message = match e {
        AuthError::Forbidden => "you may not read this".to_owned(),
        other => format!("{other}: send `Authorization: Bearer <JWT>`"),
    };
    Error::new(message).extend_with(|_, ext| ext.set("code", e.graphql_code()))
}

fn internal(message: &str) -> Error {
    Error::new(message).extend_with(|_, ext| ext.set("code", "INTERNAL_SERVER_ERROR"))
}

/// A bad argument: `BAD_USER_INPUT`, naming it.
pub(crate) fn bad_input(message: impl Into<String>) -> Error {
    Error::new(message.into()).extend_with(|_, ext| ext.set("code", "BAD_USER_INPUT"))
}

impl From<BackendError> for Error {
    fn from(e: BackendError) -> Error {
        match e {
            BackendError::InvalidInput(message) => bad_input(message),
            BackendError::Unavailable(_) => Error::new("temporarily unavailable; retry")
                .extend_with(|_, ext| ext.set("code", "SERVICE_UNAVAILABLE")),
            // The details are in the callee's log, never in the response.
            BackendError::Internal(_) => internal("internal error"),
        }
    }
}

/// The schema over `backend`, with federation, the depth and complexity limits, and
/// (unless `introspection` is false) introspection.
pub fn build_schema(backend: Arc<dyn Backend>, introspection: bool) -> SubgraphSchema {
    default_schema_builder(backend, introspection).finish()
}

/// The schema of [`build_schema`], to be finished.
pub(crate) fn default_schema_builder(
    backend: Arc<dyn Backend>,
    introspection: bool,
) -> SubgraphBuilder {
    schema_builder(
        backend,
        introspection,
        crate::MAX_DEPTH,
        crate::MAX_COMPLEXITY,
    )
}

/// [`build_schema`] with other limits.
pub fn build_schema_with(
    backend: Arc<dyn Backend>,
    introspection: bool,
    max_depth: usize,
    max_complexity: usize,
) -> SubgraphSchema {
    schema_builder(backend, introspection, max_depth, max_complexity).finish()
}

/// The schema of [`build_schema_with`], to be finished.
fn schema_builder(
    backend: Arc<dyn Backend>,
    introspection: bool,
    max_depth: usize,
    max_complexity: usize,
) -> SubgraphBuilder {
    let builder = Schema::build(Query, Mutation, EmptySubscription)
        .enable_federation()
        .limit_depth(max_depth)
        .limit_complexity(max_complexity)
        .limit_recursive_depth(crate::MAX_DEPTH * 2)
        .limit_directives(8)
        .data(backend);
    if introspection {
        builder
    } else {
        builder.disable_introspection()
    }
}

fn backend<'a>(ctx: &Context<'a>) -> &'a Arc<dyn Backend> {
    ctx.data_unchecked::<Arc<dyn Backend>>()
}

fn caller<'a>(ctx: &Context<'a>) -> &'a Caller {
    ctx.data_opt::<Caller>().unwrap_or(&Caller::Misconfigured)
}

/// Read operations.
pub struct Query;

#[Object]
impl Query {
    /// The metric series of one dashboard, with the time of the last refresh. Admins only.
    /// `from` and `to` are dates (`2024-05-01`) or RFC 3339 instants in `timeZone` (by
    /// default the last 30 days, 12 weeks or 12 months); `breakdown` is `subject`,
    /// `product`, `role` or `courseId`.
    #[allow(clippy::too_many_arguments)]
    async fn get_dashboard_metrics(
        &self,
        ctx: &Context<'_>,
        dashboard: DashboardType,
        from: Option<String>,
        to: Option<String>,
        granularity: Option<Granularity>,
        time_zone: Option<String>,
        breakdown: Option<String>,
        filters: Option<Vec<DimensionFilter>>,
    ) -> Result<DashboardMetrics> {
        caller(ctx).require_admin()?;
        let args = DashboardArgs {
            dashboard,
            from,
            to,
            granularity,
            time_zone,
            breakdown,
            filters: filters
                .unwrap_or_default()
                .into_iter()
                .map(|f| (f.name, f.value))
                .collect(),
        };
        Ok(backend(ctx).dashboard(args)?)
    }

    /// Tutors for a student, best first (the student themself or an admin). Without
    /// filters, from the stored recommendation (returned at once, and regenerated in the
    /// background when stale); with filters, ranked on demand.
    async fn get_recommended_tutors(
        &self,
        ctx: &Context<'_>,
        user_id: ID,
        #[graphql(default = 10)] limit: Option<i32>,
        filters: Option<RecommendationFilters>,
    ) -> Result<Vec<RecommendedTutor>> {
        let items = recommended(ctx, ItemKind::Tutor, &user_id, limit, filters).await?;
        Ok(items.into_iter().map(tutor).collect())
    }

    /// Courses for a student, best first; as `getRecommendedTutors`.
    async fn get_recommended_courses(
        &self,
        ctx: &Context<'_>,
        user_id: ID,
        #[graphql(default = 10)] limit: Option<i32>,
        filters: Option<RecommendationFilters>,
    ) -> Result<Vec<RecommendedCourse>> {
        let items = recommended(ctx, ItemKind::Course, &user_id, limit, filters).await?;
        Ok(items.into_iter().map(course).collect())
    }

    /// CreatePersonalizedStudyPlan: the courses and tutor sessions that take the student to
    /// `goal` (e.g. "Learn Python for data science"), prerequisites first.
    async fn get_study_plan(
        &self,
        ctx: &Context<'_>,
        user_id: ID,
        goal: String,
    ) -> Result<StudyPlan> {
        study_plan(ctx, &user_id, &goal)
    }

    /// The federation entity lookup for users (the router sends their ids).
    #[graphql(entity)]
    async fn find_user_by_id(&self, id: ID) -> User {
        User { id }
    }
}

/// Write operations.
pub struct Mutation;

#[Object]
impl Mutation {
    /// Runs GenerateDashboardMetrics now (it also runs every minute). Admins only.
    async fn refresh_dashboard_metrics(&self, ctx: &Context<'_>) -> Result<MetricsRefresh> {
        caller(ctx).require_admin()?;
        Ok(backend(ctx).refresh_metrics()?)
    }
}

/// A platform user, owned by the users subgraph; this subgraph adds recommendations and
/// study plans.
pub struct User {
    id: ID,
}

#[Object]
impl User {
    /// The user's id.
    async fn id(&self) -> &ID {
        &self.id
    }

    /// As `getRecommendedTutors` for this user.
    async fn recommended_tutors(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 10)] limit: Option<i32>,
        filters: Option<RecommendationFilters>,
    ) -> Result<Vec<RecommendedTutor>> {
        let items = recommended(ctx, ItemKind::Tutor, &self.id, limit, filters).await?;
        Ok(items.into_iter().map(tutor).collect())
    }

    /// As `getRecommendedCourses` for this user.
    async fn recommended_courses(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 10)] limit: Option<i32>,
        filters: Option<RecommendationFilters>,
    ) -> Result<Vec<RecommendedCourse>> {
        let items = recommended(ctx, ItemKind::Course, &self.id, limit, filters).await?;
        Ok(items.into_iter().map(course).collect())
    }

    /// As `getStudyPlan` for this user.
    async fn study_plan(&self, ctx: &Context<'_>, goal: String) -> Result<StudyPlan> {
        study_plan(ctx, &self.id, &goal)
    }
}

/// One ranked item with its rank and, when it came from one, the stored recommendation.
struct Ranked {
    rank: i32,
    item: RankedItem,
    from: Option<Arc<Recommendation>>,
}

async fn recommended(
    ctx: &Context<'_>,
    kind: ItemKind,
    user_id: &ID,
    limit: Option<i32>,
    filters: Option<RecommendationFilters>,
) -> Result<Vec<Ranked>> {
    caller(ctx).require_self_or_admin(user_id)?;
    // An explicit null means the default too.
    let limit = limit.unwrap_or(10);
    let limit = u32::try_from(limit)
        .ok()
        .filter(|l| (1..=50).contains(l))
        .ok_or_else(|| bad_input(format!("limit: expected 1 to 50, got {limit}")))?;
    let filters = filters.unwrap_or_default();
    if !filters.is_empty() {
        let items = backend(ctx).rank(kind, user_id, &filters, limit)?;
        return Ok(number(items, None));
    }
    let stored = match ctx.data_opt::<Arc<RecommendationLoader>>() {
        Some(loader) => loader.load(user_id).await?,
        None => backend(ctx)
            .recommendations(std::slice::from_ref::<String>(user_id))
            .pop()
            .unwrap_or_else(|| Err(BackendError::Internal("no answer".into())))?,
    };
    let from = Arc::new(recommendation(&stored));
    let items = stored
        .items
        .into_iter()
        .filter(|i| i.kind == kind)
        .take(limit as usize)
        .collect();
    Ok(number(items, Some(from)))
}

fn number(items: Vec<RankedItem>, from: Option<Arc<Recommendation>>) -> Vec<Ranked> {
    (1..)
        .zip(items)
        .map(|(rank, item)| Ranked {
            rank,
            item,
            from: from.clone(),
        })
        .collect()
}

fn recommendation(r: &StoredRecommendation) -> Recommendation {
    let ids = |v: &[String]| v.iter().map(|s| ID(s.clone())).collect();
    Recommendation {
        recommendation_id: ID(r.recommendation_id.clone()),
        user_id: ID(r.user_id.clone()),
        recommended_tutor_ids: ids(&r.recommended_tutor_ids),
        recommended_course_ids: ids(&r.recommended_course_ids),
        confidence_score: r.confidence_score,
        generated_at: r.generated_at.clone(),
        stale: r.stale,
    }
}

fn tutor(r: Ranked) -> RecommendedTutor {
    RecommendedTutor {
        rank: r.rank,
        tutor: Tutor { id: ID(r.item.id) },
        score: r.item.score,
        explanation: r.item.explanation,
        recommendation: r.from,
    }
}

fn course(r: Ranked) -> RecommendedCourse {
    RecommendedCourse {
        rank: r.rank,
        course: Course { id: ID(r.item.id) },
        score: r.item.score,
        explanation: r.item.explanation,
        recommendation: r.from,
    }
}

fn study_plan(ctx: &Context<'_>, user_id: &ID, goal: &str) -> Result<StudyPlan> {
    caller(ctx).require_self_or_admin(user_id)?;
    Ok(backend(ctx).study_plan(user_id, goal)?)
}
