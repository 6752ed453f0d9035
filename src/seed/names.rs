//! Vocabulary for synthetic records: Vietnamese names with realistic family-name frequencies,
//! posts, facilities and drugs.

/// Family names with their approximate share of the population, in per mille.
pub const FAMILY_NAMES: &[(&str, u32)] = &[
    ("Nguyễn", 380),
    ("Trần", 110),
    ("Lê", 95),
    ("Phạm", 70),
    ("Hoàng", 51),
    ("Huỳnh", 30),
    ("Phan", 45),
    ("Vũ", 39),
    ("Võ", 25),
    ("Đặng", 21),
    ("Bùi", 20),
    ("Đỗ", 14),
    ("Hồ", 13),
    ("Ngô", 13),
    ("Dương", 10),
    ("Lý", 5),
    ("Đinh", 8),
    ("Trương", 7),
    ("Lương", 5),
    ("Cao", 4),
];

pub const MALE_MIDDLE: &[&str] = &[
    "Văn", "Đức", "Minh", "Quang", "Hữu", "Công", "Xuân", "Đình", "Ngọc", "Thanh",
];
pub const FEMALE_MIDDLE: &[&str] = &["Thị", "Thu", "Ngọc", "Thanh", "Kim", "Hồng", "Thúy", "Minh"];

pub const MALE_GIVEN: &[&str] = &[
    "An", "Bình", "Cường", "Dũng", "Đức", "Hải", "Hùng", "Huy", "Khánh", "Long", "Minh", "Nam",
    "Phong", "Quân", "Sơn", "Thắng", "Thành", "Trung", "Tuấn", "Việt", "Hiếu", "Lâm", "Tâm",
    "Vinh",
];
pub const FEMALE_GIVEN: &[&str] = &[
    "Anh", "Bích", "Chi", "Dung", "Hà", "Hạnh", "Hằng", "Hoa", "Hương", "Lan", "Linh", "Mai",
    "Nga", "Ngọc", "Nhung", "Phương", "Thảo", "Trang", "Vân", "Yến", "Loan", "Huyền",
];

pub const PROVINCE_POSTS: &[&str] = &[
    "Bí thư Tỉnh ủy",
    "Phó Bí thư Tỉnh ủy",
    "Chủ tịch UBND tỉnh",
    "Phó Chủ tịch UBND tỉnh",
    "Chủ tịch HĐND tỉnh",
    "Trưởng ban Tổ chức Tỉnh ủy",
    "Trưởng ban Tuyên giáo Tỉnh ủy",
    "Giám đốc Sở Y tế",
    "Giám đốc Sở Tài chính",
    "Giám đốc Công an tỉnh",
    "Chánh Văn phòng Tỉnh ủy",
    "Ủy viên Ban Thường vụ Tỉnh ủy",
    "Phó Giám đốc Sở Nội vụ",
];
pub const DISTRICT_POSTS: &[&str] = &[
    "Bí thư Huyện ủy",
    "Phó Bí thư Huyện ủy",
    "Chủ tịch UBND huyện",
    "Phó Chủ tịch UBND huyện",
    "Chủ tịch HĐND huyện",
    "Trưởng ban Tổ chức Huyện ủy",
    "Ủy viên Ban Thường vụ Huyện ủy",
];
pub const CENTRAL_POSTS: &[&str] = &[
    "Ủy viên Bộ Chính trị",
    "Bí thư Trung ương Đảng",
    "Ủy viên Trung ương Đảng",
    "Bộ trưởng",
    "Thứ trưởng",
    "Phó Trưởng ban Trung ương",
];

pub const REFERRAL_HOSPITALS: &[&str] = &[
    "Bệnh viện Hữu nghị",
    "Bệnh viện Bạch Mai",
    "Bệnh viện Trung ương Quân đội 108",
    "Bệnh viện Chợ Rẫy",
    "Bệnh viện Thống Nhất",
    "Bệnh viện Trung ương Huế",
];

/// Complaints at the clinic with the ICD-10 code the physician usually settles on.
pub const ACUTE_COMPLAINTS: &[(&str, &str)] = &[
    ("Ho, sốt nhẹ, đau họng", "J06"),
    ("Đau thượng vị", "K29"),
    ("Đau lưng", "M54"),
    ("Mất ngủ", "G47"),
    ("Chóng mặt", "R42"),
];

/// Drugs dispensed for a diagnosis (ICD-10 prefix), with a usual dosage.
pub fn drugs_for(code: &str) -> &'static [(&'static str, &'static str)] {
    match code {
        "I10" => &[
            ("Amlodipin 5mg", "1 viên/ngày"),
            ("Losartan 50mg", "1 viên/ngày"),
        ],
        "E11" => &[
            ("Metformin 500mg", "2 viên/ngày"),
            ("Gliclazid 30mg", "1 viên/ngày"),
        ],
        "I25" => &[
            ("Aspirin 81mg", "1 viên/ngày"),
            ("Nitroglycerin 2.5mg", "2 viên/ngày"),
        ],
        "E78" => &[("Atorvastatin 20mg", "1 viên/tối")],
        "J44" => &[("Salbutamol xịt", "2 nhát khi khó thở")],
        "N18" => &[("Calci carbonat 500mg", "2 viên/ngày")],
        "K29" => &[("Omeprazol 20mg", "1 viên/sáng")],
        "M54" | "M17" => &[
            ("Paracetamol 500mg", "3 viên/ngày"),
            ("Meloxicam 7.5mg", "1 viên/ngày"),
        ],
        _ => &[
            ("Paracetamol 500mg", "3 viên/ngày"),
            ("Vitamin C 500mg", "1 viên/ngày"),
        ],
    }
}
