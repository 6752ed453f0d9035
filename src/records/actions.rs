//! The names of the audit trail's actions: one per verb of the API, spelled as the verb, so an
//! admin filtering `auditEvents(filter: {action: ...})` finds the mutation they know. Events
//! the scope writes by itself are named in `scope` (`readClinical`, `nationalIdClash`).

pub const CREATE_CADRE: &str = "createCadre";
pub const UPDATE_CADRE: &str = "updateCadre";
pub const CHANGE_CADRE_STATUS: &str = "changeCadreStatus";
/// A transfer leaves two events: `transferCadreOut` at the old board, `transferCadreIn` at the
/// new one, each where that board's admin sees it.
pub const TRANSFER_CADRE_IN: &str = "transferCadreIn";
pub const TRANSFER_CADRE_OUT: &str = "transferCadreOut";

pub const CREATE_EXAM_CAMPAIGN: &str = "createExamCampaign";
pub const UPDATE_EXAM_CAMPAIGN: &str = "updateExamCampaign";
pub const RECORD_HEALTH_EXAM: &str = "recordHealthExam";
pub const CORRECT_HEALTH_EXAM: &str = "correctHealthExam";

pub const ADD_CONDITION: &str = "addCondition";
pub const RESOLVE_CONDITION: &str = "resolveCondition";
/// The visit and each prescription dispensed at it.
pub const RECORD_CLINIC_VISIT: &str = "recordClinicVisit";
pub const CREATE_REFERRAL: &str = "createReferral";
pub const CHANGE_REFERRAL_STATUS: &str = "changeReferralStatus";
pub const RECORD_CONSULTATION: &str = "recordConsultation";
pub const RECORD_VACCINATION: &str = "recordVaccination";
