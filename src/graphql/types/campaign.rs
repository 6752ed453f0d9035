use crate::db::entities::exam_campaign;
use crate::domain::Cohort;
use crate::graphql::scalars::Date;

/// A periodic exam campaign (đợt khám định kỳ): a board examines its serving and/or retired
/// cadres, twice a year. Not clinical: analysts see campaigns.
pub struct ExamCampaign(pub exam_campaign::Model);

tenant_object!(ExamCampaign {
    /// The board that runs the campaign.
    board;
    {
        /// Display name, e.g. `Khám định kỳ đợt 1 năm 2025`.
        async fn name(&self) -> &str {
            &self.0.name
        }

        /// Calendar year of the campaign.
        async fn year(&self) -> i32 {
            self.0.year
        }

        /// Round within the year: 1 or 2.
        async fn round(&self) -> i32 {
            i32::from(self.0.round)
        }

        /// Who is to be examined: serving cadres, retired cadres, or all.
        async fn cohort(&self) -> Cohort {
            self.0.cohort
        }

        /// First day of the campaign.
        async fn starts_on(&self) -> Date {
            Date(self.0.starts_on)
        }

        /// Last day of the campaign.
        async fn ends_on(&self) -> Date {
            Date(self.0.ends_on)
        }
    }
    version;
});
