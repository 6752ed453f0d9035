//! The GraphQL documents each scenario sends, and who sends them. The boards are Nghệ An (`40`)
//! and its Thành phố Vinh (`412`) unless told otherwise: the largest province of the synthetic
//! data and its city.

use serde_json::{Value, json};

/// A user of the API: a board and a role (tokens are minted per user).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct User {
    pub board: &'static str,
    pub role: &'static str,
}

/// The boards the scenarios act for: a province and one of its districts (`40` and `412` by
/// default), and the central board.
#[derive(Clone, Copy)]
pub struct Boards {
    pub province: &'static str,
    pub district: &'static str,
}

impl Boards {
    pub fn district_clinician(self) -> User {
        User {
            board: self.district,
            role: "clinician",
        }
    }

    pub fn province_clinician(self) -> User {
        User {
            board: self.province,
            role: "clinician",
        }
    }

    pub fn central_analyst(self) -> User {
        User {
            board: "TW",
            role: "analyst",
        }
    }
}

/// Scenario 1: the first 50 cadres of a district by name, with board and latest exam.
pub const DISTRICT_LIST: &str = "query DistrictList { cadres(first: 50) { totalCount \
    pageInfo { endCursor hasNextPage } edges { node { id fullName birthDate status \
    board { code name } latestExam { id examinedOn cadreClass generalClass systolicMmhg \
    diastolicMmhg } } } } }";

/// Scenario 2: the first 50 cadres of a province by name, each with every exam (at most 30:
/// the synthetic data holds about 21 a cadre, two a year).
pub const PROVINCE_EXAMS: &str = "query ProvinceExams { cadres(first: 50) { totalCount \
    pageInfo { endCursor hasNextPage } edges { node { id fullName birthDate \
    board { code name } exams(first: 30) { totalCount edges { node { id examinedOn kind \
    cadreClass generalClass systolicMmhg diastolicMmhg weightKg diagnoses } } } } } } }";

/// Scenario 3: a name search in the directory (no clinical field), 50 rows and the count.
pub const SEARCH: &str = "query Search($q: String!) { cadres(first: 50, filter: {search: $q}) \
    { totalCount edges { node { id fullName birthDate status board { code name } } } } }";

/// The searches scenario 3 rotates through: common family and middle names, some a prefix.
pub const SEARCH_TERMS: [&str; 8] = [
    "nguyen van",
    "tran thi",
    "le minh",
    "pham",
    "hoang van",
    "vu thi",
    "dang",
    "bui van",
];

/// Scenario 4: one cadre's whole record.
pub const RECORD: &str = "query Record($id: ID!) { cadre(id: $id) { id fullName gender \
    birthDate position workplace status managementTier nationalId insuranceNumber version \
    lastExamOn board { code name parent { code name } } \
    latestExam { id examinedOn cadreClass generalClass } \
    exams(first: 30) { totalCount edges { node { id examinedOn kind facility heightCm weightKg \
      bmi systolicMmhg diastolicMmhg pulseBpm glucoseMmolL cholesterolMmolL diagnoses \
      cadreClass generalClass campaign { id name } } } } \
    conditions(first: 20) { totalCount edges { node { id icdCode diagnosedOn resolvedOn active } } } \
    visits(first: 20) { totalCount edges { node { id visitedAt complaint diagnoses physician \
      prescriptions { id drug quantity dosage } } } } \
    referrals(first: 20) { totalCount edges { node { id referredOn destination urgency status } } } \
    consultations(first: 20) { totalCount edges { node { id heldOn council conclusion } } } \
    vaccinations(first: 20) { totalCount edges { node { id vaccine doseNumber givenOn } } } } }";

/// Scenario 5: the central dashboards, coverage and class distribution by province.
pub const DASHBOARDS: &str = "query Dashboards { statistics { \
    examCoverage(year: 2025, round: 1) { total { eligible examined rate } \
      byBoard { board { code name } eligible examined rate } } \
    healthClassDistribution(year: 2025, classification: CADRE) { \
      total { classified unclassified classes { class cadres } } \
      byBoard { board { code name } classified unclassified classes { class cadres } } } } }";

/// Scenario 6's writers: an exam, and a visit with a prescription, for a cadre of the district.
pub const RECORD_EXAM: &str = "mutation RecordExam($input: RecordHealthExamInput!) { recordHealthExam(input: $input) { id } }";
pub const RECORD_VISIT: &str = "mutation RecordVisit($input: RecordClinicVisitInput!) { recordClinicVisit(input: $input) { id } }";

/// IDs picked up front: the cadres whose records scenario 4 reads and the district's serving
/// cadres scenario 6 writes for.
pub const PICK_RECORDS: &str = "{ cadres(first: 100, orderBy: {field: LAST_EXAM_DATE, direction: DESC}) { edges { node { id } } } }";
pub const PICK_WRITABLE: &str =
    "{ cadres(first: 100, filter: {status: SERVING}) { edges { node { id } } } }";

pub fn exam_input(cadre: &str) -> Value {
    json!({ "input": { "cadreId": cadre, "exam": {
        "examinedOn": "2025-10-15", "kind": "ROUTINE", "heightCm": 164.0, "weightKg": 61.5,
        "systolicMmhg": 128, "diastolicMmhg": 82, "pulseBpm": 74,
        "diagnoses": ["I10"], "cadreClass": "B1", "generalClass": "II",
        "conclusion": "load benchmark" } } })
}

pub fn visit_input(cadre: &str) -> Value {
    json!({ "input": { "cadreId": cadre, "visitedAt": "2025-10-15T09:30:00+07:00",
        "complaint": "headache", "diagnoses": ["R51"], "physician": "BS. Load",
        "prescriptions": [{ "drug": "Paracetamol 500 mg", "quantity": 10,
                            "dosage": "1 tablet 3 times a day" }] } })
}

/// A request body: the document and its variables, serialised once up front.
pub fn body(query: &str, variables: Value) -> Vec<u8> {
    json!({ "query": query, "variables": variables })
        .to_string()
        .into_bytes()
}
