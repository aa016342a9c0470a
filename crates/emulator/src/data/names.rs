//! Russian names, titles and marketing words for generated deals.

/// Male first names with the patronymic derived from them.
pub(super) const MALE_NAMES: &[(&str, &str)] = &[
    ("Иван", "Иванович"),
    ("Алексей", "Алексеевич"),
    ("Дмитрий", "Дмитриевич"),
    ("Сергей", "Сергеевич"),
    ("Андрей", "Андреевич"),
    ("Михаил", "Михайлович"),
    ("Никита", "Никитич"),
    ("Артём", "Артёмович"),
    ("Павел", "Павлович"),
    ("Олег", "Олегович"),
    ("Рустам", "Рустамович"),
    ("Ильдар", "Ильдарович"),
];

/// Female first names with the patronymic derived from the father's name.
pub(super) const FEMALE_NAMES: &[(&str, &str)] = &[
    ("Анна", "Сергеевна"),
    ("Мария", "Ивановна"),
    ("Елена", "Дмитриевна"),
    ("Ольга", "Андреевна"),
    ("Наталья", "Павловна"),
    ("Екатерина", "Алексеевна"),
    ("Юлия", "Олеговна"),
    ("Алёна", "Михайловна"),
    ("Гульнара", "Ринатовна"),
    ("Софья", "Артёмовна"),
];

/// Surnames as `(male, female)`.
pub(super) const SURNAMES: &[(&str, &str)] = &[
    ("Иванов", "Иванова"),
    ("Петров", "Петрова"),
    ("Смирнов", "Смирнова"),
    ("Кузнецов", "Кузнецова"),
    ("Соколов", "Соколова"),
    ("Попов", "Попова"),
    ("Лебедев", "Лебедева"),
    ("Новиков", "Новикова"),
    ("Морозов", "Морозова"),
    ("Волков", "Волкова"),
    ("Гарипов", "Гарипова"),
    ("Хабибуллин", "Хабибуллина"),
    ("Достоевский", "Достоевская"),
    ("Ёлкин", "Ёлкина"),
];

/// Latin stems for Telegram handles.
pub(super) const HANDLE_STEMS: &[&str] = &[
    "ivan", "anna_k", "olga", "max", "dmitry", "kate", "alex", "nik", "rustam", "lena",
];

/// Residential complexes a developer sells.
pub(super) const COMPLEXES: &[&str] = &[
    "Северный",
    "Речной квартал",
    "Солнечный город",
    "Парк Победы",
    "Лесная поляна",
    "Казанская ривьера",
];

/// Flat types, the values of a "multiple" custom field.
pub(super) const FLAT_TYPES: &[&str] = &["Студия", "1к", "2к", "3к", "Евро-2"];

/// Title templates; `{complex}` and `{flat}` are filled in.
pub(super) const TITLES: &[&str] = &[
    "Заявка с сайта",
    "Звонок с рекламы",
    "Заявка: {flat}, ЖК «{complex}»",
    "Обратный звонок — ЖК «{complex}»",
    "Заявка с Авито",
    "Квиз: ипотека, {flat}",
];

/// UTM sources.
pub(super) const UTM_SOURCES: &[&str] = &["yandex", "google", "vk", "avito", "cian", "telegram"];

/// UTM campaigns.
pub(super) const UTM_CAMPAIGNS: &[&str] = &[
    "zhk_severny_spring",
    "ipoteka_6",
    "family_mortgage",
    "retarget_2026",
    "brand",
];
