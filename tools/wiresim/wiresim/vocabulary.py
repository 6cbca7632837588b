"""Word pools for the wire site simulator: places, people, organisations and topic phrasing."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Topic:
    """A story type: angles pair headline templates with the lead sentences they fit."""

    angles: tuple[tuple[tuple[str, ...], tuple[str, ...]], ...]
    details: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Country:
    """A country as wire copy names it."""

    name: str  # as used mid-sentence, without article: "Philippines"
    adjective: str
    capital: str
    cities: tuple[str, ...]
    leader_title: str
    currency: str
    culture: str  # key into FIRST_NAMES / LAST_NAMES
    the: bool = False  # "the Philippines"
    cities_alone: bool = False  # datelines name its cities without the country (China, U.S.)

    @property
    def full_name(self) -> str:
        return f"the {self.name}" if self.the else self.name


# Data tables: kept dense on purpose.
# fmt: off
COUNTRIES: tuple[Country, ...] = (
    Country("China", "Chinese", "Beijing", ("Shanghai", "Guangzhou", "Shenzhen", "Wuhan", "Chengdu", "Hangzhou", "Xi'an", "Nanjing", "Tianjin", "Chongqing", "Kunming", "Harbin", "Hefei", "Changsha", "Fuzhou", "Xiamen", "Lanzhou", "Nanning", "Haikou", "Urumqi"), "Premier", "yuan", "chinese", cities_alone=True),
    Country("United States", "U.S.", "Washington", ("New York", "Los Angeles", "Chicago", "Houston", "San Francisco", "Seattle", "Miami", "Atlanta", "Boston", "Denver"), "President", "U.S. dollars", "anglo", the=True, cities_alone=True),
    Country("Russia", "Russian", "Moscow", ("St. Petersburg", "Vladivostok", "Kazan", "Novosibirsk", "Yekaterinburg"), "President", "rubles", "russian"),
    Country("Japan", "Japanese", "Tokyo", ("Osaka", "Yokohama", "Nagoya", "Sapporo", "Fukuoka", "Kobe"), "Prime Minister", "yen", "japanese"),
    Country("South Korea", "South Korean", "Seoul", ("Busan", "Incheon", "Daegu", "Gwangju"), "President", "won", "korean"),
    Country("India", "Indian", "New Delhi", ("Mumbai", "Kolkata", "Chennai", "Bangalore", "Hyderabad"), "Prime Minister", "rupees", "south_asian"),
    Country("Pakistan", "Pakistani", "Islamabad", ("Karachi", "Lahore", "Peshawar", "Quetta", "Gwadar"), "Prime Minister", "rupees", "south_asian"),
    Country("Bangladesh", "Bangladeshi", "Dhaka", ("Chittagong", "Khulna", "Sylhet"), "Prime Minister", "taka", "south_asian"),
    Country("Sri Lanka", "Sri Lankan", "Colombo", ("Kandy", "Galle", "Jaffna", "Hambantota"), "President", "rupees", "south_asian"),
    Country("Nepal", "Nepali", "Kathmandu", ("Pokhara", "Lalitpur", "Biratnagar"), "Prime Minister", "rupees", "south_asian"),
    Country("Afghanistan", "Afghan", "Kabul", ("Kandahar", "Herat", "Mazar-i-Sharif", "Jalalabad"), "President", "afghanis", "arabic"),
    Country("Iran", "Iranian", "Tehran", ("Isfahan", "Shiraz", "Mashhad", "Tabriz"), "President", "rials", "arabic"),
    Country("Iraq", "Iraqi", "Baghdad", ("Basra", "Mosul", "Erbil", "Kirkuk"), "Prime Minister", "dinars", "arabic"),
    Country("Syria", "Syrian", "Damascus", ("Aleppo", "Homs", "Latakia", "Hama"), "President", "pounds", "arabic"),
    Country("Turkey", "Turkish", "Ankara", ("Istanbul", "Izmir", "Antalya", "Bursa"), "President", "liras", "turkish"),
    Country("Israel", "Israeli", "Jerusalem", ("Tel Aviv", "Haifa", "Eilat"), "Prime Minister", "shekels", "hebrew"),
    Country("Egypt", "Egyptian", "Cairo", ("Alexandria", "Luxor", "Aswan", "Port Said", "Ismailia"), "President", "pounds", "arabic"),
    Country("Saudi Arabia", "Saudi", "Riyadh", ("Jeddah", "Dammam", "Mecca"), "King", "riyals", "arabic"),
    Country("United Arab Emirates", "Emirati", "Abu Dhabi", ("Dubai", "Sharjah"), "President", "dirhams", "arabic", the=True),
    Country("Kenya", "Kenyan", "Nairobi", ("Mombasa", "Kisumu", "Nakuru", "Eldoret"), "President", "shillings", "east_african"),
    Country("Nigeria", "Nigerian", "Abuja", ("Lagos", "Kano", "Ibadan", "Port Harcourt", "Kaduna"), "President", "naira", "west_african"),
    Country("Ethiopia", "Ethiopian", "Addis Ababa", ("Dire Dawa", "Bahir Dar", "Hawassa", "Adama"), "Prime Minister", "birr", "east_african"),
    Country("South Africa", "South African", "Pretoria", ("Johannesburg", "Cape Town", "Durban", "Port Elizabeth"), "President", "rand", "southern_african"),
    Country("Tanzania", "Tanzanian", "Dodoma", ("Dar es Salaam", "Arusha", "Zanzibar", "Mwanza"), "President", "shillings", "east_african"),
    Country("Uganda", "Ugandan", "Kampala", ("Entebbe", "Gulu", "Jinja"), "President", "shillings", "east_african"),
    Country("Ghana", "Ghanaian", "Accra", ("Kumasi", "Tamale", "Takoradi"), "President", "cedis", "west_african"),
    Country("Zimbabwe", "Zimbabwean", "Harare", ("Bulawayo", "Mutare"), "President", "dollars", "southern_african"),
    Country("Zambia", "Zambian", "Lusaka", ("Ndola", "Livingstone", "Kitwe"), "President", "kwacha", "southern_african"),
    Country("Algeria", "Algerian", "Algiers", ("Oran", "Constantine", "Annaba"), "President", "dinars", "arabic"),
    Country("Morocco", "Moroccan", "Rabat", ("Casablanca", "Marrakech", "Tangier", "Fez"), "King", "dirhams", "arabic"),
    Country("Sudan", "Sudanese", "Khartoum", ("Port Sudan", "Omdurman", "Kassala"), "Prime Minister", "pounds", "arabic"),
    Country("Britain", "British", "London", ("Manchester", "Birmingham", "Edinburgh", "Glasgow", "Liverpool", "Leeds"), "Prime Minister", "pounds", "anglo"),
    Country("France", "French", "Paris", ("Marseille", "Lyon", "Toulouse", "Nice", "Bordeaux"), "President", "euros", "french"),
    Country("Germany", "German", "Berlin", ("Munich", "Hamburg", "Frankfurt", "Cologne", "Stuttgart", "Duisburg"), "Chancellor", "euros", "german"),
    Country("Italy", "Italian", "Rome", ("Milan", "Naples", "Turin", "Venice", "Florence", "Genoa"), "Prime Minister", "euros", "italian"),
    Country("Spain", "Spanish", "Madrid", ("Barcelona", "Valencia", "Seville", "Bilbao", "Malaga"), "Prime Minister", "euros", "hispanic"),
    Country("Portugal", "Portuguese", "Lisbon", ("Porto", "Coimbra", "Faro"), "Prime Minister", "euros", "portuguese"),
    Country("Greece", "Greek", "Athens", ("Thessaloniki", "Piraeus", "Patras"), "Prime Minister", "euros", "greek"),
    Country("Poland", "Polish", "Warsaw", ("Krakow", "Gdansk", "Wroclaw", "Lodz"), "President", "zlotys", "slavic"),
    Country("Hungary", "Hungarian", "Budapest", ("Debrecen", "Szeged"), "Prime Minister", "forints", "slavic"),
    Country("Serbia", "Serbian", "Belgrade", ("Novi Sad", "Nis"), "President", "dinars", "slavic"),
    Country("Belgium", "Belgian", "Brussels", ("Antwerp", "Ghent", "Liege"), "Prime Minister", "euros", "french"),
    Country("Netherlands", "Dutch", "Amsterdam", ("Rotterdam", "The Hague", "Utrecht"), "Prime Minister", "euros", "german", the=True),
    Country("Switzerland", "Swiss", "Bern", ("Geneva", "Zurich", "Basel", "Lausanne"), "President", "Swiss francs", "german"),
    Country("Sweden", "Swedish", "Stockholm", ("Gothenburg", "Malmo", "Uppsala"), "Prime Minister", "kronor", "nordic"),
    Country("Norway", "Norwegian", "Oslo", ("Bergen", "Trondheim", "Stavanger"), "Prime Minister", "kroner", "nordic"),
    Country("Finland", "Finnish", "Helsinki", ("Tampere", "Turku", "Oulu"), "Prime Minister", "euros", "nordic"),
    Country("Ukraine", "Ukrainian", "Kiev", ("Kharkov", "Odessa", "Lviv", "Dnipro"), "President", "hryvnias", "russian"),
    Country("Austria", "Austrian", "Vienna", ("Salzburg", "Graz", "Innsbruck"), "Chancellor", "euros", "german"),
    Country("Czech Republic", "Czech", "Prague", ("Brno", "Ostrava", "Plzen"), "Prime Minister", "korunas", "slavic", the=True),
    Country("Brazil", "Brazilian", "Brasilia", ("Sao Paulo", "Rio de Janeiro", "Salvador", "Belo Horizonte", "Manaus", "Recife"), "President", "reais", "portuguese"),
    Country("Argentina", "Argentine", "Buenos Aires", ("Cordoba", "Rosario", "Mendoza", "La Plata"), "President", "pesos", "hispanic"),
    Country("Mexico", "Mexican", "Mexico City", ("Guadalajara", "Monterrey", "Tijuana", "Cancun", "Puebla"), "President", "pesos", "hispanic"),
    Country("Chile", "Chilean", "Santiago", ("Valparaiso", "Antofagasta", "Concepcion"), "President", "pesos", "hispanic"),
    Country("Peru", "Peruvian", "Lima", ("Cusco", "Arequipa", "Trujillo"), "President", "soles", "hispanic"),
    Country("Colombia", "Colombian", "Bogota", ("Medellin", "Cali", "Cartagena", "Barranquilla"), "President", "pesos", "hispanic"),
    Country("Venezuela", "Venezuelan", "Caracas", ("Maracaibo", "Valencia", "Barquisimeto"), "President", "bolivars", "hispanic"),
    Country("Cuba", "Cuban", "Havana", ("Santiago de Cuba", "Camaguey", "Holguin"), "President", "pesos", "hispanic"),
    Country("Canada", "Canadian", "Ottawa", ("Toronto", "Vancouver", "Montreal", "Calgary", "Edmonton"), "Prime Minister", "Canadian dollars", "anglo"),
    Country("Australia", "Australian", "Canberra", ("Sydney", "Melbourne", "Brisbane", "Perth", "Adelaide", "Darwin"), "Prime Minister", "Australian dollars", "anglo"),
    Country("New Zealand", "New Zealand", "Wellington", ("Auckland", "Christchurch", "Hamilton"), "Prime Minister", "New Zealand dollars", "anglo"),
    Country("Indonesia", "Indonesian", "Jakarta", ("Surabaya", "Bandung", "Medan", "Denpasar", "Makassar"), "President", "rupiahs", "southeast_asian"),
    Country("Philippines", "Philippine", "Manila", ("Cebu", "Davao", "Quezon City", "Iloilo"), "President", "pesos", "southeast_asian", the=True),
    Country("Vietnam", "Vietnamese", "Hanoi", ("Ho Chi Minh City", "Da Nang", "Hai Phong", "Can Tho"), "Prime Minister", "dong", "vietnamese"),
    Country("Thailand", "Thai", "Bangkok", ("Chiang Mai", "Phuket", "Pattaya", "Khon Kaen"), "Prime Minister", "baht", "thai"),
    Country("Malaysia", "Malaysian", "Kuala Lumpur", ("Penang", "Johor Bahru", "Kuching", "Kota Kinabalu"), "Prime Minister", "ringgit", "southeast_asian"),
    Country("Singapore", "Singaporean", "Singapore", ("Jurong", "Woodlands", "Tampines"), "Prime Minister", "Singapore dollars", "chinese"),
    Country("Cambodia", "Cambodian", "Phnom Penh", ("Siem Reap", "Sihanoukville", "Battambang"), "Prime Minister", "riels", "thai"),
    Country("Laos", "Lao", "Vientiane", ("Luang Prabang", "Pakse", "Savannakhet"), "Prime Minister", "kips", "thai"),
    Country("Myanmar", "Myanmar", "Nay Pyi Taw", ("Yangon", "Mandalay", "Bago"), "President", "kyats", "thai"),
    Country("Mongolia", "Mongolian", "Ulan Bator", ("Erdenet", "Darkhan"), "Prime Minister", "tugriks", "russian"),
    Country("Kazakhstan", "Kazakh", "Astana", ("Almaty", "Shymkent", "Karaganda"), "President", "tenge", "russian"),
    Country("Uzbekistan", "Uzbek", "Tashkent", ("Samarkand", "Bukhara", "Namangan"), "President", "soums", "russian"),
    Country("Fiji", "Fijian", "Suva", ("Nadi", "Lautoka"), "Prime Minister", "Fijian dollars", "anglo"),
    Country("Papua New Guinea", "Papua New Guinean", "Port Moresby", ("Lae", "Mount Hagen"), "Prime Minister", "kina", "anglo"),
)

# Places whose datelines never name a country, whatever the country's habit.
DATELINE_ALONE = frozenset(
    {
        "Geneva", "Hong Kong", "Macao", "Taipei", "Johannesburg", "Istanbul", "Dubai",
        "Sao Paulo", "Rio de Janeiro", "Sydney", "Toronto", "Mumbai", "Yangon",
    }
)

FIRST_NAMES: dict[str, tuple[str, ...]] = {
    "anglo": ("James", "Sarah", "Michael", "Emily", "David", "Rachel", "Thomas", "Laura", "Andrew", "Karen", "Peter", "Helen", "Mark", "Alison", "Simon", "Grace", "Daniel", "Fiona"),
    "russian": ("Sergei", "Olga", "Dmitry", "Natalia", "Alexei", "Irina", "Mikhail", "Tatiana", "Andrei", "Yelena", "Nikolai", "Svetlana", "Yuri"),
    "japanese": ("Hiroshi", "Yuko", "Takeshi", "Naoko", "Kenji", "Akiko", "Satoshi", "Mayumi", "Daisuke", "Keiko"),
    "korean": ("Kim", "Lee", "Park", "Choi", "Jung", "Kang", "Cho", "Yoon", "Jang", "Lim"),
    "south_asian": ("Rajesh", "Priya", "Amit", "Sunita", "Imran", "Ayesha", "Sanjay", "Farida", "Arjun", "Nasreen", "Vikram", "Shahid"),
    "arabic": ("Ahmed", "Fatima", "Mohammed", "Layla", "Omar", "Amira", "Khalid", "Nour", "Hassan", "Rania", "Youssef", "Samira"),
    "turkish": ("Mehmet", "Ayse", "Mustafa", "Elif", "Emre", "Zeynep", "Burak", "Selin"),
    "hebrew": ("Avi", "Noa", "Yosef", "Tamar", "Eitan", "Maya"),
    "east_african": ("Wanjiru", "Kipchoge", "Amina", "Baraka", "Tesfaye", "Meron", "Juma", "Neema", "Abebe", "Achieng", "Mwangi", "Halima"),
    "west_african": ("Chinedu", "Ngozi", "Kwame", "Ama", "Oluwaseun", "Folake", "Emeka", "Adwoa", "Ibrahim", "Aisha", "Tunde", "Efua"),
    "southern_african": ("Thabo", "Nomvula", "Sipho", "Lerato", "Tendai", "Chipo", "Mandla", "Naledi"),
    "french": ("François", "Hélène", "Jean-Pierre", "Camille", "Olivier", "Sophie", "Laurent", "Amélie", "Nicolas", "Claire"),
    "german": ("Jürgen", "Katrin", "Stefan", "Anja", "Matthias", "Sabine", "Klaus", "Ursula", "Tobias", "Petra"),
    "italian": ("Giuseppe", "Francesca", "Marco", "Giulia", "Luca", "Chiara", "Alessandro", "Elena"),
    "hispanic": ("José", "María", "Carlos", "Sofía", "Javier", "Lucía", "Andrés", "Valentina", "Miguel", "Camila", "Alejandro", "Paula", "Diego", "Gabriela"),
    "portuguese": ("João", "Ana", "Pedro", "Beatriz", "Rafael", "Mariana", "Luiz", "Fernanda", "Thiago", "Juliana"),
    "greek": ("Nikos", "Eleni", "Giorgos", "Maria", "Dimitris", "Katerina"),
    "slavic": ("Tomasz", "Katarzyna", "Piotr", "Agnieszka", "Milan", "Jelena", "Petr", "Zsofia", "Marko", "Eva"),
    "nordic": ("Lars", "Ingrid", "Erik", "Astrid", "Mikko", "Liisa", "Anders", "Sigrid"),
    "southeast_asian": ("Budi", "Siti", "Agus", "Dewi", "Rizal", "Maria", "Ramon", "Ahmad", "Nurul", "Jose"),
    "vietnamese": ("Nguyen Van", "Tran Thi", "Le Van", "Pham Thi", "Hoang Van", "Vu Thi"),
    "thai": ("Somchai", "Malee", "Sompong", "Ratana", "Anan", "Kanya", "Sokha", "Vanna", "Bounmy", "Aung"),
    "chinese": (),  # built from syllables
}

LAST_NAMES: dict[str, tuple[str, ...]] = {
    "anglo": ("Smith", "Johnson", "Williams", "Brown", "Taylor", "Wilson", "Harris", "Clarke", "Robinson", "Walker", "Hughes", "Mitchell", "Bennett", "Cooper", "Reid", "Foster", "Morgan", "Sullivan"),
    "russian": ("Ivanov", "Petrova", "Smirnov", "Kuznetsova", "Popov", "Volkova", "Sokolov", "Lebedeva", "Morozov", "Pavlova", "Orlov", "Fedorova"),
    "japanese": ("Tanaka", "Suzuki", "Sato", "Watanabe", "Yamamoto", "Nakamura", "Kobayashi", "Kato", "Yoshida", "Yamada"),
    "korean": ("Min-jun", "Seo-yeon", "Ji-hoon", "Hye-jin", "Sung-ho", "Eun-ji", "Dong-hyun", "Soo-ah", "Jae-won", "Yeon-woo"),
    "south_asian": ("Sharma", "Patel", "Khan", "Gupta", "Hussain", "Singh", "Rahman", "Iyer", "Chaudhry", "Mehta", "Qureshi", "Perera"),
    "arabic": ("Al-Sayed", "Haddad", "Mansour", "Khalil", "Nasser", "Farouk", "Abdullah", "Hamdan", "Saleh", "Rahimi", "Karimi", "Othman"),
    "turkish": ("Yilmaz", "Kaya", "Demir", "Sahin", "Celik", "Aydin", "Ozturk", "Arslan"),
    "hebrew": ("Cohen", "Levi", "Mizrahi", "Friedman", "Katz", "Shapiro"),
    "east_african": ("Otieno", "Kamau", "Mwangi", "Haile", "Bekele", "Ochieng", "Mutua", "Wanjala", "Girma", "Nyerere", "Kiprono", "Mbeki"),
    "west_african": ("Okafor", "Adeyemi", "Mensah", "Boateng", "Abubakar", "Okonkwo", "Owusu", "Bello", "Danjuma", "Asante", "Eze", "Oduya"),
    "southern_african": ("Ndlovu", "Dlamini", "Khumalo", "Moyo", "Nkosi", "Banda", "Phiri", "Mokoena"),
    "french": ("Dubois", "Lefèvre", "Moreau", "Laurent", "Girard", "Bonnet", "Mercier", "Rousseau", "Fontaine", "Chevalier"),
    "german": ("Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Wagner", "Becker", "Schröder", "Hoffmann", "Krüger"),
    "italian": ("Rossi", "Russo", "Ferrari", "Esposito", "Bianchi", "Romano", "Colombo", "Ricci"),
    "hispanic": ("García", "Martínez", "López", "González", "Rodríguez", "Pérez", "Sánchez", "Ramírez", "Torres", "Flores", "Gómez", "Díaz", "Herrera", "Castillo"),
    "portuguese": ("Silva", "Santos", "Oliveira", "Souza", "Costa", "Pereira", "Almeida", "Gonçalves", "Ferreira", "Carvalho"),
    "greek": ("Papadopoulos", "Georgiou", "Nikolaidis", "Konstantinou", "Dimitriou", "Pappas"),
    "slavic": ("Nowak", "Kowalski", "Wisniewska", "Novak", "Horvat", "Petrovic", "Jovanovic", "Svoboda", "Nagy", "Kovacs"),
    "nordic": ("Andersson", "Johansson", "Larsen", "Hansen", "Virtanen", "Korhonen", "Nilsson", "Berg"),
    "southeast_asian": ("Santoso", "Wijaya", "Hidayat", "Reyes", "Cruz", "Bautista", "Rahman", "Ismail", "Tan", "Lim"),
    "vietnamese": ("Hung", "Lan", "Minh", "Huong", "Thanh", "Mai", "Tuan", "Hoa"),
    "thai": ("Srisuk", "Chaiyaporn", "Wongsawat", "Boonmee", "Phirun", "Sovann", "Vongsa", "Thein"),
    "chinese": ("Wang", "Li", "Zhang", "Liu", "Chen", "Yang", "Zhao", "Huang", "Zhou", "Wu", "Xu", "Sun", "Hu", "Zhu", "Gao", "Lin", "He", "Guo", "Ma", "Luo", "Liang", "Song", "Zheng", "Xie", "Han", "Tang", "Feng", "Yu", "Dong", "Xiao", "Cao", "Deng", "Peng", "Jiang", "Cai", "Pan"),
}

CHINESE_SYLLABLES: tuple[str, ...] = (
    "wei", "fang", "jun", "hong", "ming", "lei", "jie", "ying", "hua", "ping", "yan", "gang", "xin", "bin",
    "hui", "qiang", "lin", "yong", "jing", "tao", "chen", "dong", "xia", "feng", "yun", "long", "zhi",
    "li", "na", "kai", "rui", "hao", "yu", "wen", "bo", "shan", "qing", "tian", "xue", "zhen",
)

ORGANISATIONS: tuple[str, ...] = (
    "the United Nations", "the World Health Organization", "the World Bank", "the International Monetary Fund",
    "the African Union", "the European Union", "the Association of Southeast Asian Nations",
    "the World Trade Organization", "the Food and Agriculture Organization", "the UN Children's Fund",
    "the International Energy Agency", "the Shanghai Cooperation Organisation", "the Asian Development Bank",
    "the UN Development Programme", "the International Labour Organization", "the World Food Programme",
    "the UN Environment Programme", "the Organisation for Economic Co-operation and Development",
)

PORTFOLIOS: tuple[str, ...] = (
    "Health", "Finance", "Foreign Affairs", "Trade and Industry", "Agriculture", "Education", "Transport",
    "Energy", "Tourism", "Environment", "Interior", "Defense", "Water Resources", "Information Technology",
    "Labor", "Culture", "Planning", "Mines", "Fisheries", "Housing",
)

AGENCIES: tuple[str, ...] = (
    "National Bureau of Statistics", "Meteorological Department", "Disaster Management Authority",
    "Civil Aviation Authority", "Central Bank", "Ports Authority", "Investment Promotion Agency",
    "Revenue Authority", "Center for Disease Control", "Energy Regulatory Commission", "Tourism Board",
    "Railway Corporation", "Electoral Commission", "Wildlife Service", "Space Agency", "Red Cross Society",
)

DISCIPLINES: tuple[str, ...] = (
    "economics", "international relations", "public health", "political science", "environmental science",
    "engineering", "agronomy", "history", "finance", "sociology", "computer science", "epidemiology",
)

THINK_TANKS: tuple[str, ...] = (
    "Institute for Strategic Studies", "Center for Policy Research", "Institute of International Affairs",
    "Economic Research Institute", "Center for Development Studies", "Institute of Public Policy",
    "Foundation for Regional Cooperation", "Institute for Global Dialogue",
)

COMPANY_STEMS: tuple[str, ...] = (
    "Horizon", "Greenfield", "Summit", "Pioneer", "Silverline", "Orient", "Everbright", "Northstar",
    "Bluewater", "Golden Bridge", "Crescent", "Sunrise", "Redwood", "Meridian", "Harbor", "Unity",
)
COMPANY_KINDS: tuple[str, ...] = (
    "Holdings", "Energy Group", "Logistics", "Motors", "Telecom", "Mining Company", "Construction Corp.",
    "Agricultural Group", "Airlines", "Steel", "Pharmaceuticals", "Electronics", "Shipping Co.",
)

OCCUPATIONS: tuple[str, ...] = (
    "farmer", "taxi driver", "shopkeeper", "teacher", "nurse", "fisherman", "street vendor", "engineer",
    "retiree", "student", "tour guide", "construction worker", "restaurant owner", "truck driver",
    "market trader", "factory worker", "doctor", "software developer",
)

WEEKDAYS: tuple[str, ...] = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MONTHS: tuple[str, ...] = (
    "January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
    "November", "December",
)
AP_MONTHS: tuple[str, ...] = (
    "Jan.", "Feb.", "March", "April", "May", "June", "July", "Aug.", "Sept.", "Oct.", "Nov.", "Dec.",
)

PHOTOGRAPHERS: tuple[str, ...] = (
    "Li Xin", "Zhang Cheng", "Wang Ying", "Chen Yehua", "Xie Huanchi", "Zhao Dingzhe", "Pan Siwei",
    "Ding Haitao", "Lyu Shuai", "Wang Zhao", "Liu Jie", "Meng Dingbo", "Tian Rui", "Guo Yu", "Yue Yuewei",
)
FREELANCE_PHOTOGRAPHERS: tuple[str, ...] = (
    "Gustavo Valiente", "Fred Mutune", "Julian Dominguez", "Mohammed Dabbous", "Elizabeth Bekele",
    "Ahmad Halabisaz", "Francisco Cañedo", "Str", "Ruben Ramirez", "Marco Rosi", "Carlos Rodríguez",
)

# ---------------------------------------------------------------------------
# Generic sentence material shared by every topic.
# Slots in braces are filled by prose.StoryContext; see prose.py for the fixed ones.

REPORTING_VERBS: tuple[str, ...] = (
    "said", "told Xinhua", "noted", "added", "stressed", "told reporters", "said in a statement",
    "told a press conference", "said in an interview", "pointed out", "explained", "told local media",
)
TIME_PHRASES: tuple[str, ...] = (
    "in the coming months", "by the end of next year", "over the next five years", "in the near future",
    "before the end of the year", "in the long run", "within two years", "by 2030", "this decade",
    "in the years ahead", "next year", "in the coming weeks",
)
CONNECTORS: tuple[str, ...] = (
    "Meanwhile,", "In addition,", "Earlier this month,", "According to the statement,", "Last year,",
    "However,", "At the same time,", "Separately,", "In recent years,", "Since then,",
    "According to official figures,", "On the same day,",
)
COMMITMENT_VERBS: tuple[str, ...] = (
    "will continue to", "is ready to", "remains committed to", "stands ready to", "is willing to",
    "will spare no effort to", "looks forward to working with partners to", "has pledged to",
    "is determined to", "hopes to",
)
ACTION_VERBS: tuple[str, ...] = (
    "strengthen", "expand", "deepen", "promote", "upgrade", "support", "accelerate", "improve",
    "safeguard", "modernize", "boost", "diversify", "consolidate", "revitalize",
)
ABSTRACT_OBJECTS: tuple[str, ...] = (
    "practical cooperation", "people-to-people exchanges", "regional connectivity", "food security",
    "the digital economy", "green development", "public health systems", "vocational training",
    "trade facilitation", "infrastructure financing", "poverty reduction", "scientific research",
    "disaster preparedness", "youth employment", "clean energy supply", "rural development",
    "small and medium-sized enterprises", "cross-border e-commerce", "water management",
    "access to education", "maritime cooperation", "tourism recovery",
)
PURPOSES: tuple[str, ...] = (
    "for the benefit of both peoples", "so as to create more jobs", "to meet growing demand",
    "to cushion the impact of rising prices", "in line with national development goals",
    "to bring tangible benefits to local communities", "to sustain the economic recovery",
    "to help vulnerable groups", "to attract more foreign investment", "amid mounting global uncertainty",
    "to ensure long-term stability", "as part of a broader reform agenda",
)
QUALITIES: tuple[str, ...] = (
    "steady", "remarkable", "significant", "hard-won", "encouraging", "notable", "solid", "rapid",
    "visible", "gradual", "unprecedented", "substantial",
)
CHALLENGES: tuple[str, ...] = (
    "rising inflation", "supply chain disruptions", "extreme weather", "a shortage of skilled workers",
    "high youth unemployment", "growing debt burdens", "weak external demand", "currency volatility",
    "a slow vaccine rollout", "aging infrastructure", "soaring energy costs", "persistent drought",
    "geopolitical tensions", "the lingering impact of the pandemic",
)

GENERIC_SENTENCES: tuple[str, ...] = (
    "{Connector} {official} {reported} that the government {commit} {action} {object} {purpose}.",
    "{official} {reported} that {the_country} had made {quality} progress in {object} despite {challenge}.",
    "The {event_noun} was attended by more than {n_hundreds} {participants} from {n_small} countries and regions.",
    "{Connector} {expert} {reported} that {challenge} would remain a major test for {the_country} {time_phrase}.",
    "Analysts expect {challenge} to weigh on the {sector} sector {time_phrase}, while {second_challenge} could add to the pressure.",
    "According to {org}, {the_country} needs about {money} a year to close its gap in {object}.",
    "{official} called on all parties to {action} {object} and to address {challenge} through dialogue.",
    "The figures were released by the {country_adj} {agency} on {weekday}.",
    "Officials in {city} have set up {n_small} working groups to follow up on the plan, {official_short} {reported}.",
    "{The_country} has {n_hundreds} {sector} projects under way, employing roughly {n_thousands} people.",
    "The {agency} said it would publish a detailed assessment {time_phrase}.",
    "{expert} said the move showed that {the_country} was serious about {object}.",
    "The plan, which covers {n_small} provinces, is expected to cost around {money}.",
    "{Connector} residents of {city} said they had noticed {quality} changes in {object} over the past year.",
    "Since {year_past}, {the_country} has doubled its spending on {object}, official data show.",
    "{official_short} {reported} that the government would review the results {time_phrase}.",
    "The initiative is part of a national strategy to {action} {object} {purpose}.",
    "{The_country} and {org} signed a memorandum of understanding on {object} in {year_past}.",
    "Critics have warned that {challenge} could slow the pace of {object} in remote areas.",
    "Local authorities in {city} said a further {n_hundreds} households would benefit from the program {time_phrase}.",
    "{expert} said {the_country} should also pay more attention to {second_object}.",
    "The country's {sector} sector accounts for about {pct} percent of its gross domestic product.",
    "{Connector} a delegation from {other_country_full} visited {city} to study its experience in {object}.",
    "Observers said the decision reflected growing concern about {challenge}.",
    "{official_short} said the authorities had received {n_thousands} applications within {n_small} days.",
)

QUOTE_SENTENCES: tuple[str, ...] = (
    '"{quote_body}," {person} {reported}.',
    '"{quote_body}," {person} said, adding that {clause}.',
    '{person} {reported}, "{quote_body}."',
    '"{quote_body}. {quote_body2}," {person} {reported}.',
    '"We are {feeling} that we can {action} {object} {time_phrase}," {person} {reported}.',
)
QUOTE_BODIES: tuple[str, ...] = (
    "This is a {quality} step for {object}",
    "Our government {commit} {action} {object} together with our partners",
    "The results show that {object} can go hand in hand with growth",
    "Nobody expected {challenge} to hit us so hard this year",
    "Our priority is to {action} {object} {purpose}",
    "There is still a lot of work to do on {object}",
    "People here have seen real changes in {object}",
    "The cooperation has brought new opportunities to {city}",
    "We need more investment in {object}, not less",
    "It will take time, but the direction is clear",
    "This project has changed the lives of many families in {city}",
    "We will keep a close eye on {challenge}",
    "{The_country} cannot address {challenge} alone",
    "I have worked here for {n_small} years and I have never seen anything like this",
)
FEELINGS: tuple[str, ...] = ("confident", "hopeful", "convinced", "optimistic", "concerned", "aware", "glad")
CLAUSES: tuple[str, ...] = (
    "the program would be extended to {n_small} more cities {time_phrase}",
    "{the_country} would need more support from {org}",
    "demand for {product} had risen sharply since {month}",
    "the authorities were monitoring the situation closely",
    "more than {n_thousands} people had already benefited",
    "the government had earmarked {money} for the next phase",
    "{challenge} remained the biggest concern for businesses in {city}",
    "cooperation with {other_country_full} had opened up new markets for {product}",
    "the number of visitors to {city} had returned to pre-pandemic levels",
    "local firms were ready to {action} {object}",
)
EVENT_NOUNS: tuple[str, ...] = (
    "forum", "conference", "ceremony", "summit", "expo", "seminar", "workshop", "symposium", "fair",
    "launch event", "roundtable",
)
PARTICIPANTS: tuple[str, ...] = (
    "officials, business leaders and scholars", "delegates", "exhibitors", "entrepreneurs",
    "experts and government representatives", "guests", "young people", "journalists and diplomats",
)
SECTORS: tuple[str, ...] = (
    "manufacturing", "tourism", "agriculture", "construction", "mining", "retail", "logistics",
    "telecommunications", "textile", "automobile", "services", "energy", "fishing", "banking",
)
PRODUCTS: tuple[str, ...] = (
    "coffee", "avocados", "solar panels", "electric vehicles", "durians", "tea", "cashew nuts",
    "smartphones", "beef", "wine", "cut flowers", "rubber", "palm oil", "soybeans", "seafood",
    "textiles", "copper", "cocoa", "frozen shrimp", "lithium batteries", "handicrafts", "mangoes",
)

# ---------------------------------------------------------------------------
# Topics: each has headline templates, lead sentences and topic-specific detail sentences.

# Each topic: angles (headlines that fit the lead sentences told with them) and detail sentences.
TOPICS: dict[str, Topic] = {
    "diplomacy": Topic(
        angles=(
            (
                ("{Country_adj} {official_title} holds talks with {other_country_adj} counterpart on {object}",
                 "{Country}, {other_country_full} agree to {action} {object}",
                 "{Country_adj}, {other_country_adj} FMs vow to {action} {object}"),
                ("{Country_adj} {official_title} {p1_name} held talks with {other_country_adj} counterpart {p2_name} in {city} on {weekday}, with both sides agreeing to {action} {object}.",
                 "{The_country} and {other_country_full} have agreed to {action} {object} {purpose}, the {country_adj} foreign ministry said on {weekday}."),
            ),
            (
                ("{Country} ready to {action} ties with {other_country_full}, says {official_title}",
                 "{Country_adj} FM says ties with {other_country_full} at \"new starting point\"",
                 "{Country} urges closer coordination with {other_country_full} on {object}"),
                ("{Country_adj} {official_title} {p1_name} on {weekday} called for closer coordination with {other_country_full} on {object} and {second_object}.",
                 "{The_country} is ready to work with {other_country_full} to {action} {object}, {country_adj} {official_title} {p1_name} said on {weekday}."),
            ),
            (
                ("{Country} hosts regional meeting on {object}",
                 "Senior officials from {country}, {other_country_full} meet in {city} on {object}"),
                ("Senior officials from {the_country} and {other_country_full} met in {city} on {weekday} to discuss {object}, as both countries seek to {action} {second_object}.",),
            ),
        ),
        details=(
            "The two sides also exchanged views on regional and international issues of common concern.",
            "The talks came ahead of the {ordinal} anniversary of diplomatic relations between the two countries.",
            "Both sides signed {n_small} agreements covering {object}, {second_object} and {third_object}.",
            "{p1_short} said the two countries should respect each other's core interests and {action} {object}.",
            "{p2_short} thanked {the_country} for its support and said {other_country_full} was ready to {action} {second_object}.",
            "Trade between the two countries reached {money} last year, up {pct} percent year on year.",
            "The visit is {p2_short}'s {ordinal} trip to {the_country} since taking office.",
            "The two ministers also agreed to hold the next round of consultations in {other_capital} {time_phrase}.",
        ),
    ),
    "economy": Topic(
        angles=(
            (
                ("{Country_adj} {indicator} {trend_verb} {pct} pct in {month}",
                 "{Country}'s {indicator} {trend_verb} {pct} pct year on year in {month}"),
                ("{The_country}'s {indicator} {trend_verb_long} {pct} percent year on year in {month}, the {agency} said on {weekday}.",),
            ),
            (
                ("{Country}'s GDP {trend_verb} {pct} pct in {quarter}",
                 "{Country_adj} economy {trend_verb} {pct} pct in {quarter} on {driver}"),
                ("The {country_adj} economy grew by {pct} percent in {quarter}, driven by {driver}, according to data released on {weekday}.",),
            ),
            (
                ("{Country_adj} central bank keeps key rate at {pct} pct",
                 "{Country}'s central bank holds benchmark rate steady at {pct} pct"),
                ("{The_country}'s central bank on {weekday} left its benchmark lending rate unchanged at {pct} percent, citing {challenge}.",),
            ),
            (
                ("{Country} unveils {money_short} stimulus package to revive {sector}",
                 "{Country} rolls out {money_short} plan to support {sector} sector"),
                ("{Country_adj} authorities on {weekday} unveiled a {money} package aimed at supporting the {sector} sector and {second_object}.",),
            ),
        ),
        details=(
            "The increase was mainly driven by {driver}, the {agency} said.",
            "On a monthly basis, {indicator} {trend_verb_long} {pct2} percent, the data showed.",
            "Economists had expected a reading of about {pct2} percent.",
            "The government has set a growth target of {pct2} percent for {year_next}.",
            "{expert} said {driver} would continue to support growth {time_phrase}.",
            "Food prices rose {pct2} percent, while transport costs fell {pct3} percent.",
            "The {sector} sector grew {pct2} percent, the fastest pace since {year_past}.",
            "The {fx_currency} has weakened {pct3} percent against the U.S. dollar since January.",
        ),
    ),
    "trade": Topic(
        angles=(
            (
                ("{Country}'s exports of {product} to China {trend_verb} {pct} pct",
                 "{Country} eyes bigger share of Chinese market for {product}"),
                ("{The_country}'s exports of {product} to China {trend_verb_long} {pct} percent in the first {n_months} months of the year, the country's trade ministry said on {weekday}.",),
            ),
            (
                ("First batch of {country_adj} {product} arrives in {chinese_city}",
                 "{Country} launches new freight route to {chinese_city}"),
                ("A shipment of {n_thousands} tonnes of {country_adj} {product} arrived in the Chinese city of {chinese_city} on {weekday}, marking the first direct export of the product under a new trade protocol.",),
            ),
            (
                ("China-{Country} trade hits record high in first {n_months} months",
                 "China-{Country} trade {trend_verb} {pct} pct"),
                ("Trade between China and {the_country} reached {money} in the first {n_months} months of this year, up {pct} percent year on year, official data showed on {weekday}.",),
            ),
            (
                ("{Country_adj} firms seek partners at {city} trade fair",
                 "{Country_adj} {product} makes debut at {city} trade fair"),
                ("More than {n_hundreds} {country_adj} companies are showcasing {product} and {second_product} at a trade fair that opened in {city} on {weekday}.",),
            ),
        ),
        details=(
            "{product_cap} now account for about {pct2} percent of the country's total exports.",
            "The new freight service cuts delivery time from {n_small} weeks to about {n_small2} days.",
            "{p1_name}, a {product} exporter based in {city}, said orders from Chinese buyers had doubled this year.",
            "China is {the_country}'s {ordinal} largest trading partner.",
            "The two countries signed a protocol on the export of {product} in {year_past}.",
            "Exporters hope the e-commerce platforms will help them reach millions of Chinese consumers.",
            "The {agency} expects the value of {product} exports to top {money} {time_phrase}.",
        ),
    ),
    "health": Topic(
        angles=(
            (
                ("{Country} reports {n_hundreds} new {disease} cases",
                 "{Country_adj} hospitals under strain as {disease} cases rise"),
                ("{The_country} reported {n_hundreds} new cases of {disease} in the past 24 hours, bringing the national total to {n_thousands}, the {country_adj} Ministry of Health said on {weekday}.",
                 "Health authorities in {city} have ordered {n_small} more clinics to open on weekends as {disease} infections continue to rise, {official_short_generic} said on {weekday}."),
            ),
            (
                ("{Country} launches nationwide {disease} vaccination campaign",
                 "{Country} aims to vaccinate {n_millions} people against {disease}"),
                ("{The_country} on {weekday} launched a nationwide campaign to vaccinate {n_millions} people against {disease} by the end of {month_next}.",),
            ),
            (
                ("{Country} receives {n_thousands} doses of vaccines from China",
                 "Chinese-donated vaccines arrive in {country}"),
                ("A batch of {n_thousands} doses of vaccines donated by China arrived in {capital} on {weekday}, the {country_adj} government said.",),
            ),
        ),
        details=(
            "The death toll from {disease} rose by {n_small} to {n_thousands}, the ministry said.",
            "So far, {n_millions} people have been vaccinated, about {pct2} percent of the population.",
            "Health workers will visit {n_thousands} households in remote villages, {p1_name} said.",
            "The ministry urged residents to wear masks, wash their hands and avoid crowded places.",
            "Hospital occupancy in {city} has reached {pct2} percent, local officials said.",
            "{p1_short} said the vaccines would first go to health workers, the elderly and people with chronic conditions.",
            "The country has so far conducted more than {n_millions} tests.",
        ),
    ),
    "disaster": Topic(
        angles=(
            (
                ("{n_small} killed, {n_dozens} injured in {disaster} in {country}",
                 "{Disaster_cap} kills {n_small} in {region_of_country}"),
                ("At least {n_small} people were killed and {n_dozens} others injured after {disaster_article} hit the {country_adj} city of {city} on {weekday}, local authorities said.",),
            ),
            (
                ("Death toll from {country_adj} {disaster} rises to {n_dozens}",
                 "Rescuers search for survivors after {disaster} in {region_of_country}"),
                ("The death toll from the {disaster} that struck {region_of_country} has risen to {n_dozens}, the {agency} said on {weekday}.",),
            ),
            (
                ("Thousands evacuated as {disaster} hits {region_of_country}",
                 "{Country} declares emergency after {disaster} destroys homes"),
                ("More than {n_thousands} people have been evacuated from their homes in {city} after {disaster_article} {disaster_verb} the area, officials said on {weekday}.",),
            ),
        ),
        details=(
            "Rescue teams are still searching for {n_small} people reported missing, the {agency} said.",
            "More than {n_hundreds} houses were damaged and several roads were cut off.",
            "{p1_name}, a {occupation} in {city}, said the water had risen to waist level within an hour.",
            "The {agency} warned of more heavy rain over the next {n_small2} days.",
            "The government has sent {n_hundreds} soldiers and {n_small2} helicopters to help with relief work.",
            "Power supply was cut to about {n_thousands} homes, the utility company said.",
            "The injured have been taken to hospitals in {city} and {city2}.",
        ),
    ),
    "quake": Topic(
        angles=(
            (
                ("{Magnitude}-magnitude quake jolts {region_of_country}",
                 "Earthquake of {magnitude} magnitude strikes {region_of_country}: USGS"),
                ("An earthquake of magnitude {magnitude} jolted {region_of_country} at {clock} local time on {weekday}, the U.S. Geological Survey said.",),
            ),
            (
                ("{Magnitude}-magnitude earthquake hits off {country} coast",
                 "Strong quake strikes off {country}, no tsunami warning issued"),
                ("A {magnitude}-magnitude earthquake struck off the coast of {the_country} on {weekday}, the {country_adj} {agency} said, adding that no tsunami warning had been issued.",),
            ),
            (
                ("Strong quake rocks {city}, no casualties reported",
                 "{Magnitude}-magnitude quake sends {city} residents into streets"),
                ("A strong earthquake measuring {magnitude} rocked {city} on {weekday}, sending residents rushing into the streets, local media reported.",),
            ),
        ),
        details=(
            "The epicenter, with a depth of {n_dozens} km, was initially determined to be at {lat} degrees north latitude and {lon} degrees east longitude.",
            "There were no immediate reports of casualties or damage.",
            "{p1_name}, a {occupation} in {city}, said the shaking lasted about {n_dozens2} seconds.",
            "Several aftershocks were felt in {city2}, the {agency} said.",
            "The {agency} said it was assessing damage to buildings, roads and bridges.",
            "Schools in {city} were closed for safety checks, local authorities said.",
            "Rescue teams were sent to villages near the epicenter, where some old houses were reported to have cracked.",
        ),
    ),
    "accident": Topic(
        angles=(
            (
                ("{n_small} dead as bus plunges off road in {country}",
                 "{n_small} killed in road accident in {region_of_country}"),
                ("At least {n_small} people died and {n_dozens} were injured when a bus carrying passengers plunged into a ravine in {region_of_country} on {weekday}, police said.",),
            ),
            (
                ("Fire at {country_adj} {building} kills {n_small}",
                 "{n_small} killed as fire engulfs {building} in {city}"),
                ("A fire broke out at a {building} in {city} early on {weekday}, killing {n_small} people, local fire services said.",),
            ),
            (
                ("Police arrest {n_dozens} suspects in {country_adj} {crime} crackdown",
                 "{Country_adj} police bust {crime} ring, arrest {n_dozens}"),
                ("{Country_adj} police have arrested {n_dozens} people suspected of involvement in {crime}, the {country_adj} Interior Ministry said on {weekday}.",),
            ),
            (
                ("Train derails near {city}, injuring {n_dozens}",
                 "{n_dozens} injured as passenger train derails in {country}"),
                ("A passenger train derailed near {city} on {weekday}, injuring {n_dozens} people, {n_small} of them seriously, the {agency} said.",),
            ),
        ),
        details=(
            "The cause of the accident is under investigation.",
            "Police said the driver lost control of the vehicle while trying to overtake a truck.",
            "Firefighters brought the blaze under control after about {n_small2} hours.",
            "Road accidents kill about {n_thousands} people in {the_country} every year, according to official figures.",
            "The suspects, aged between {n_teen} and {n_dozens2}, will appear in court on {weekday_next}.",
            "Police also seized {n_dozens2} vehicles, {n_hundreds} mobile phones and {money} in cash.",
            "{p1_name}, a witness, said there was a loud bang before smoke filled the street.",
        ),
    ),
    "sports": Topic(
        angles=(
            (
                ("{team} beat {team2} {score} in {league}",
                 "{team} edge past {team2} to climb {league} table"),
                ("{team} beat {team2} {score} on {weekday} to move up to {ordinal} place in the {league} standings.",),
            ),
            (
                ("{Country_adj} runner {p1_name} wins {city} marathon",
                 "{p1_name} sets course record at {city} marathon"),
                ("{Country_adj} runner {p1_name} won the {city} Marathon on {weekday} in {race_time}, the fastest time ever recorded on the course.",),
            ),
            (
                ("{p1_name} advances to {round} at {tournament}",
                 "{p1_name} beats {p2_name} to reach {tournament} {round}"),
                ("{p1_name} of {the_country} beat {p2_name} of {other_country_full} {tennis_score} on {weekday} to reach the {round} of the {tournament}.",),
            ),
            (
                ("{Country} to host {sport_event} in {year_next}",
                 "{City} picked to host {sport_event} in {year_next}"),
                ("{The_country} will host the {sport_event} in {year_next}, organizers announced in {city} on {weekday}.",),
            ),
        ),
        details=(
            "{p1_short} opened the scoring in the {minute}th minute before {p2_short} equalized shortly after the break.",
            "The coach said the players had shown great character after a difficult start to the season.",
            "More than {n_thousands} fans attended the event at the {stadium} Stadium.",
            "Organizers expect about {n_thousands} athletes from {n_dozens} countries to take part.",
            "{p1_short} said the preparation had taken months of training in the mountains near {city}.",
            "The {sport_event} was last held in {the_country} in {year_past}.",
            "Tickets for the final sold out within {n_small} hours, organizers said.",
        ),
    ),
    "science": Topic(
        angles=(
            (
                ("{Country} launches {satellite_kind} satellite",
                 "{Country_adj} {satellite_kind} satellite sent into orbit"),
                ("{The_country} successfully launched a {satellite_kind} satellite from the {space_center} on {weekday}, the {country_adj} {agency} said.",),
            ),
            (
                ("Scientists discover {discovery} in {region_of_country}",
                 "{Discovery_cap} found in {region_of_country}"),
                ("Scientists in {the_country} have discovered {discovery} in {region_of_country}, researchers announced on {weekday}.",),
            ),
            (
                ("{Country_adj} researchers develop {innovation}",
                 "{Country_adj} university team unveils {innovation}"),
                ("Researchers at the University of {city} have developed {innovation} that could cut costs by {pct} percent, according to a study published on {weekday}.",),
            ),
            (
                ("Study finds {finding}",
                 "{Country_adj} scientists find {finding}"),
                ("A new study by researchers in {the_country} published in the journal {journal} on {weekday} has found {finding}.",),
            ),
        ),
        details=(
            "The team analyzed data collected over {n_small} years from {n_hundreds} sites.",
            "{p1_name}, who led the research, said the findings could help {action} {object}.",
            "The research was funded by {org} and the {country_adj} {agency}.",
            "The team plans to run larger trials {time_phrase}.",
            "Further studies are needed to confirm the results, the researchers said.",
            "The country plans to build {n_small} new {facility} {time_phrase}.",
        ),
    ),
    "culture": Topic(
        angles=(
            (
                ("{Festival} opens in {city}",
                 "Thousands flock to {city} for {festival}"),
                ("The {festival} opened in {city} on {weekday}, drawing thousands of visitors to {n_small} days of music, dance and food.",),
            ),
            (
                ("Exhibition on {exhibit_theme} opens in {capital}",
                 "{Country_adj} museum displays {n_hundreds} pieces on {exhibit_theme}"),
                ("An exhibition featuring {n_hundreds} pieces on {exhibit_theme} opened at the National Museum in {capital} on {weekday}.",),
            ),
            (
                ("{Country} sees tourist arrivals {trend_verb} {pct} pct in {month}",
                 "{Country_adj} tourism {trend_verb} {pct} pct in {month}"),
                ("{The_country} received {n_thousands} foreign tourists in {month}, up {pct} percent year on year, the {country_adj} {agency} said on {weekday}.",),
            ),
            (
                ("{City} welcomes first direct flight from {chinese_city}",
                 "New air route links {chinese_city} with {city}"),
                ("The first direct flight from the Chinese city of {chinese_city} landed in {city} on {weekday}, carrying {n_hundreds} passengers.",),
            ),
        ),
        details=(
            "Visitors can also watch demonstrations of traditional crafts, from weaving to pottery.",
            "The exhibition will run until {month_next} {day_num}.",
            "Chinese tourists were among the top {n_small} sources of visitors, the board said.",
            "{p1_name}, a visitor from {city2}, said she had come with her family for the second year in a row.",
            "The route will be operated {n_small2} times a week, the airline said.",
            "The program includes {n_dozens} performances by artists from {n_small2} countries.",
        ),
    ),
    "energy": Topic(
        angles=(
            (
                ("{Country} commissions {n_dozens}-MW {plant_kind} plant",
                 "Chinese-built {plant_kind} plant starts operation in {country}"),
                ("A {n_dozens}-megawatt {plant_kind} plant built by a Chinese company went into operation in {region_of_country} on {weekday}, supplying power to about {n_thousands} households.",),
            ),
            (
                ("{Country} aims to raise renewables share to {pct} pct by {year_target}",
                 "{Country} sets {year_target} target for clean power"),
                ("{The_country} aims to raise the share of renewable energy in its power mix to {pct} percent by {year_target}, {official_title} {p1_name} said on {weekday}.",),
            ),
            (
                ("{Country_adj} oil output {trend_verb} {pct} pct in {month}",
                 "{Country}'s crude production {trend_verb} {pct} pct"),
                ("{The_country}'s crude oil output {trend_verb_long} {pct} percent in {month} to {n_thousands} barrels per day, the {agency} said on {weekday}.",),
            ),
            (
                ("{Country} to ban single-use plastics from {month_next}",
                 "{Country} bans plastic bags to curb pollution"),
                ("{The_country} will ban single-use plastic bags from {month_next}, the {country_adj} {agency} announced on {weekday}.",),
            ),
        ),
        details=(
            "The plant is expected to cut carbon dioxide emissions by {n_thousands} tonnes a year.",
            "About {n_hundreds} local workers were hired during construction, the company said.",
            "{p1_short} said clean energy would help {action} {object}.",
            "Electricity demand in {the_country} has grown by {pct2} percent a year over the past decade.",
            "The project was financed with a loan of {money} from {org}.",
            "Environmental groups welcomed the decision but called for stricter enforcement.",
        ),
    ),
    "agriculture": Topic(
        angles=(
            (
                ("{Country_adj} farmers expect bumper {crop} harvest",
                 "Good rains raise hopes of record {crop} harvest in {country}"),
                ("Farmers in {region_of_country} are expecting a bumper {crop} harvest this year after good rains, the {country_adj} {agency} said on {weekday}.",),
            ),
            (
                ("Chinese agricultural experts help {country_adj} farmers boost {crop} yields",
                 "{Country_adj} farmers see {crop} yields {trend_verb} {pct} pct with Chinese know-how"),
                ("Chinese agricultural experts have helped farmers in {region_of_country} raise {crop} yields by {pct} percent, local officials said on {weekday}.",),
            ),
            (
                ("{Country} to import {n_thousands} tonnes of {crop}",
                 "{Country} turns to imports to stabilize {crop} prices"),
                ("{The_country} will import {n_thousands} tonnes of {crop} to stabilize prices, the government said on {weekday}.",),
            ),
            (
                ("Drought threatens {crop} crops in {region_of_country}",
                 "Prolonged drought damages {crop} fields in {country}"),
                ("Prolonged drought has damaged {crop} crops on more than {n_thousands} hectares in {region_of_country}, the {agency} said on {weekday}.",),
            ),
        ),
        details=(
            "The country produced {n_millions} tonnes of {crop} last year.",
            "{p1_name}, a farmer in a village near {city}, said the yield had almost doubled.",
            "The demonstration farm covers {n_hundreds} hectares and has trained {n_thousands} local farmers.",
            "Prices of {crop} at local markets have risen {pct2} percent since {month}.",
            "The government has distributed {n_thousands} tonnes of seeds and fertilizer to farmers.",
        ),
    ),
    "politics": Topic(
        angles=(
            (
                ("{Country_adj} parliament approves {year_next} budget",
                 "{Country_adj} lawmakers pass {money_short} budget for {year_next}"),
                ("The {country_adj} parliament on {weekday} approved the government's {year_next} budget, which allocates {money} to {object} and {second_object}.",),
            ),
            (
                ("{Country} to hold general elections in {month_next}",
                 "{Country_adj} electoral body sets date for general elections"),
                ("{The_country} will hold general elections on {month_next} {day_num}, the {country_adj} {agency} announced on {weekday}.",),
            ),
            (
                ("{Country_adj} {official_title} reshuffles cabinet",
                 "{Country_adj} government names new ministers of {portfolio} and {portfolio2}"),
                ("{Country_adj} {official_title} {p1_name} on {weekday} announced a cabinet reshuffle, replacing the ministers of {portfolio} and {portfolio2}.",),
            ),
            (
                ("{Country_adj} parliament passes new law on {law_subject}",
                 "{Country_adj} lawmakers approve bill on {law_subject}"),
                ("Lawmakers in {the_country} on {weekday} passed a law on {law_subject}, with {n_dozens} votes in favor and {n_small} against.",),
            ),
        ),
        details=(
            "The new ministers will be sworn in on {weekday_next}.",
            "About {n_millions} voters have registered for the election, according to the commission.",
            "The opposition criticized the plan, saying it did little to tackle {challenge}.",
            "{p1_short} said the changes were meant to improve the government's response to {challenge}.",
            "The law will take effect on {month_next} 1.",
        ),
    ),
    "markets": Topic(
        angles=(
            (
                ("{Country_adj} stocks {market_verb} {pct_small} pct",
                 "{Country_adj} {index_name} {market_verb_s} {pct_small} pct on {driver}"),
                ("The {country_adj} {index_name} {market_verb_long} {pct_small} percent to close at {index_points} points on {weekday}, as {driver} {sentiment_verb} investor sentiment.",),
            ),
            (
                ("Oil prices {market_verb} amid {challenge}",
                 "Oil {market_verb_s} as traders weigh {challenge}"),
                ("Oil prices {market_verb_long} on {weekday}, with the West Texas Intermediate for {month_next} delivery settling at {price} U.S. dollars a barrel, as traders weighed {challenge}.",),
            ),
            (
                ("Gold {market_verb_s} as investors weigh {challenge}",
                 "Gold futures {market_verb} on {driver}"),
                ("Gold futures {market_verb_long} on {weekday}, with the most active gold contract for {month_next} delivery moving {price_small} U.S. dollars to settle at {gold_price} dollars per ounce.",),
            ),
            (
                ("{Fx_currency} {market_verb_s} against U.S. dollar",
                 "{Fx_currency} {market_verb_s} {pct_small} pct against greenback"),
                ("The {fx_currency} {market_verb_long} {pct_small} percent against the U.S. dollar on {weekday}, as {driver} {sentiment_verb} market sentiment in {capital}.",),
            ),
        ),
        details=(
            "Turnover reached {n_thousands} million {currency}, compared with {n_thousands2} million the previous trading day.",
            "{sector_cap} shares led the gains, while {sector2} stocks lagged.",
            "Brent crude for {month_next} delivery {market_verb_long} {price_small} dollars to close at {price2} dollars a barrel.",
            "{expert} said markets would remain volatile {time_phrase} because of {challenge}.",
            "Of the {n_dozens} stocks on the index, {n_small} gained and the rest declined.",
        ),
    ),
    "security": Topic(
        angles=(
            (
                ("{n_small} soldiers killed in attack in {region_of_country}",
                 "Gunmen attack army post in {region_of_country}, killing {n_small}"),
                ("At least {n_small} soldiers were killed when gunmen attacked an army post in {region_of_country} on {weekday}, the {country_adj} military said.",),
            ),
            (
                ("Security forces kill {n_small} militants in {region_of_country}",
                 "{Country_adj} army says {n_small} militants killed in operation"),
                ("Security forces killed {n_small} militants during an operation in {region_of_country} on {weekday}, the army said in a statement.",),
            ),
            (
                ("Chinese peacekeepers in {country} awarded UN peace medals",
                 "UN peacekeepers from China honored in {country}"),
                ("Chinese peacekeepers serving in {the_country} were awarded UN peace medals in {city} on {weekday} for their contributions to peace and stability.",),
            ),
            (
                ("{Country} extends state of emergency in {region_of_country}",
                 "{Country_adj} government extends emergency rule for {n_small} months"),
                ("The {country_adj} government on {weekday} extended a state of emergency in {region_of_country} for another {n_small} months, citing continued violence.",),
            ),
        ),
        details=(
            "No group has so far claimed responsibility for the violence.",
            "The army said it had launched a search operation in the surrounding area.",
            "The violence has forced {n_thousands} people to flee their homes since {month}.",
            "{official} called for calm and vowed to restore order in the region.",
            "Security has been stepped up at government buildings in {city}, police said.",
        ),
    ),
    "infrastructure": Topic(
        angles=(
            (
                ("Chinese-built {project} opens to traffic in {country}",
                 "New {project} cuts travel time between {city} and {city2}"),
                ("A {project} built by a Chinese company opened to traffic in {region_of_country} on {weekday}, cutting travel time between {city} and {city2} from {n_small} hours to {n_small2}.",),
            ),
            (
                ("{Country} breaks ground on {money_short} {project}",
                 "Construction starts on {project} linking {city} with {city2}"),
                ("{The_country} on {weekday} broke ground on a {money} {project} that will link {city} with {city2}, the {country_adj} {agency} said.",),
            ),
            (
                ("{Country_adj} {project} project {progress_word}",
                 "{Project_cap} linking {city} and {city2} {pct} pct complete"),
                ("Construction of the {project} connecting {city} and {city2} is {pct} percent complete, the project manager said on {weekday}.",),
            ),
            (
                ("Chinese firm wins contract to build {project} in {country}",
                 "{Country} awards {money_short} {project} contract to Chinese company"),
                ("A Chinese firm has won a contract worth {money} to build a {project} in {region_of_country}, the {country_adj} government announced on {weekday}.",),
            ),
        ),
        details=(
            "The {n_dozens}-km project employs about {n_thousands} local workers.",
            "{p1_name}, a {occupation} from {city2}, said the new link would make it much easier to take goods to market.",
            "The project is part of the Belt and Road Initiative.",
            "The contractor has trained more than {n_hundreds} local engineers and technicians.",
            "The {project} is expected to be completed by {year_target}.",
            "Officials said the project would boost trade and tourism along the route.",
        ),
    ),
}

TOPIC_POOLS: dict[str, tuple[str, ...]] = {
    "indicator": ("retail sales", "industrial output", "consumer price index", "exports", "imports", "fixed-asset investment", "producer price index", "manufacturing PMI", "unemployment rate", "foreign direct investment", "remittances", "tourism revenue"),
    "trend_verb": ("rises", "falls", "grows", "drops", "climbs", "eases", "jumps", "slows to", "edges up", "declines"),
    "trend_verb_long": ("rose", "fell", "grew", "dropped", "climbed", "eased", "jumped", "increased", "declined", "edged up"),
    "driver": ("strong demand for electronics", "a rebound in tourism", "lower energy costs", "higher government spending", "robust household consumption", "a surge in commodity exports", "recovering factory activity", "easing supply bottlenecks", "strong remittance inflows", "weaker global demand", "upbeat corporate earnings", "expectations of further rate cuts"),
    "quarter": ("the first quarter", "the second quarter", "the third quarter", "the fourth quarter", "the first half of the year"),
    "disease": ("COVID-19", "dengue fever", "cholera", "malaria", "measles", "influenza", "tuberculosis", "mpox", "yellow fever"),
    "region": ("Europe", "Africa", "Southeast Asia", "Latin America", "the Middle East", "South Asia", "the Western Pacific"),
    "disaster": ("flood", "landslide", "storm", "wildfire", "cyclone", "mudslide", "heat wave", "tornado", "snowstorm"),
    "disaster_verb": ("swept through", "hit", "devastated", "battered", "struck"),
    "building": ("market", "warehouse", "hospital", "apartment building", "factory", "school dormitory", "shopping mall", "hotel"),
    "crime": ("drug trafficking", "online fraud", "human trafficking", "illegal mining", "money laundering", "cattle rustling", "wildlife smuggling", "cybercrime"),
    "sport": ("football", "basketball", "volleyball", "table tennis", "badminton", "athletics", "swimming", "wushu"),
    "sport_event": ("regional games", "world athletics championships", "continental football cup", "international marathon series", "Asian swimming championships", "world badminton championships", "youth Olympic qualifiers"),
    "tournament": ("Australian Open", "French Open", "Wimbledon", "U.S. Open", "Madrid Open", "Dubai Championships", "China Open", "Miami Open"),
    "round": ("quarterfinals", "semifinals", "final", "third round", "second round", "round of 16"),
    "league": ("Premier League", "La Liga", "Serie A", "Bundesliga", "Ligue 1", "Chinese Super League", "Kenyan Premier League", "Brasileirao"),
    "team_stem": ("United", "City", "Rovers", "Athletic", "Dynamo", "Wanderers", "Rangers", "Olympic", "Sporting", "Real", "Racing", "Stars"),
    "satellite_kind": ("earth observation", "communications", "weather", "navigation", "remote sensing", "scientific research"),
    "space_center": ("national space center", "Jiuquan Satellite Launch Center", "Wenchang Spacecraft Launch Site", "coastal launch site"),
    "discovery": ("a new species of frog", "dinosaur fossils", "an ancient shipwreck", "a 2,000-year-old tomb", "a large lithium deposit", "rare orchids", "a new cave system", "stone tools dating back 30,000 years"),
    "innovation": ("a low-cost water filter", "a drought-resistant rice variety", "a battery that charges in minutes", "an app that detects crop diseases", "a biodegradable plastic made from cassava", "a portable malaria test", "a solar-powered cold storage unit"),
    "finding": ("that air pollution raises the risk of heart disease", "that coral reefs are recovering faster than expected", "that regular exercise cuts the risk of dementia", "that glaciers are melting at a record pace", "that urban trees lower summer temperatures", "that sleep loss affects memory in teenagers"),
    "journal": ("Nature", "Science", "The Lancet", "Cell", "PLOS One", "Nature Climate Change"),
    "facility": ("research centers", "data centers", "observatories", "laboratories", "innovation hubs"),
    "monitor_target": ("crop growth", "forest cover", "coastal erosion", "urban expansion", "water resources", "natural disasters"),
    "festival": ("Spring Festival celebration", "international film festival", "food festival", "jazz festival", "lantern festival", "harvest festival", "book fair", "Chinese culture week"),
    "artifact": ("ancient Chinese porcelain", "bronze artifacts", "royal manuscripts", "traditional textiles", "Silk Road relics", "ancient coins", "terracotta warriors"),
    "exhibit_theme": ("the Silk Road", "traditional Chinese medicine", "ancient maritime trade", "modern Chinese painting", "African art", "calligraphy", "Buddhist art", "porcelain making"),
    "plant_kind": ("solar", "wind", "hydropower", "geothermal", "biomass", "photovoltaic"),
    "crop": ("maize", "wheat", "rice", "cassava", "coffee", "tea", "sorghum", "soybean", "potato", "cotton", "barley"),
    "law_subject": ("data protection", "climate change", "public health emergencies", "foreign investment", "cybersecurity", "land reform", "domestic violence", "renewable energy"),
    "index_name": ("benchmark stock index", "blue-chip index", "main share index", "composite index"),
    "market_verb": ("rise", "fall", "gain", "slip", "rebound", "edge lower", "climb", "retreat"),
    "market_verb_long": ("rose", "fell", "gained", "slipped", "rebounded", "edged lower", "climbed", "retreated"),
    "sentiment_verb": ("lifted", "dampened", "boosted", "weighed on", "supported"),
    "project": ("highway", "bridge", "railway", "port", "expressway", "light rail line", "dam", "industrial park", "water supply project", "airport terminal"),
    "progress_word": ("enters final stage", "makes steady progress", "reaches key milestone", "nears completion"),
}

TOPIC_AGENCIES: dict[str, tuple[str, ...]] = {
    "diplomacy": ("Foreign Ministry", "Presidential Office", "Office of the Prime Minister"),
    "economy": ("National Bureau of Statistics", "Central Bank", "Ministry of Finance", "Statistics Office"),
    "trade": ("Investment Promotion Agency", "Export Promotion Council", "Customs Authority", "Ministry of Trade"),
    "health": ("Center for Disease Control", "Ministry of Health", "National Institute of Public Health"),
    "disaster": ("Disaster Management Authority", "Meteorological Department", "Civil Protection Agency", "Red Cross Society"),
    "quake": ("Geological Survey", "Seismological Bureau", "Disaster Management Authority", "Meteorological Agency"),
    "accident": ("National Police", "Fire and Rescue Service", "Road Safety Authority", "Railway Corporation"),
    "sports": ("National Olympic Committee", "Football Federation", "Sports Council"),
    "science": ("Space Agency", "Academy of Sciences", "National Research Council"),
    "culture": ("Tourism Board", "Ministry of Culture", "National Museum"),
    "energy": ("Energy Regulatory Commission", "Ministry of Energy", "Environment Protection Agency", "National Oil Corporation"),
    "agriculture": ("Ministry of Agriculture", "Food Security Agency", "Agricultural Research Institute"),
    "politics": ("Electoral Commission", "National Assembly", "Constitutional Court"),
    "markets": ("Stock Exchange", "Securities Commission", "Central Bank"),
    "security": ("Defense Ministry", "Interior Ministry", "National Security Council"),
    "infrastructure": ("Ministry of Transport", "Highway Authority", "Railway Corporation", "Ports Authority"),
}

SUMMARY_SLUG_WORDS: dict[str, tuple[str, ...]] = {
    "diplomacy": ("Talks", "Diplomacy", "Ties", "Visit", "Meeting"),
    "economy": ("Economy", "Inflation", "GDP", "Budget", "Rates"),
    "trade": ("Trade", "Exports", "Fair", "Imports"),
    "health": ("Health", "Vaccines", "Outbreak", "COVID"),
    "disaster": ("Floods", "Quake", "Storm", "Disaster", "Wildfire"),
    "quake": ("Quake", "Earthquake"),
    "accident": ("Accident", "Fire", "Crime", "Police"),
    "sports": ("Sports", "Football", "Marathon", "Tennis"),
    "science": ("Science", "Satellite", "Research"),
    "culture": ("Culture", "Festival", "Tourism", "Exhibition"),
    "energy": ("Energy", "Power", "Environment"),
    "agriculture": ("Agriculture", "Harvest", "Farming"),
    "politics": ("Politics", "Election", "Parliament", "Cabinet"),
    "markets": ("Markets", "Stocks", "Oil", "Currency"),
    "security": ("Security", "Attack", "Army", "Peacekeeping"),
    "infrastructure": ("Infrastructure", "Railway", "Bridge", "Road"),
}

# Breaking news comes as "Urgent:" first; these topics do.
URGENT_TOPICS: tuple[str, ...] = ("disaster", "quake", "accident", "security", "politics", "markets", "diplomacy")

HEADLINE_PREFIXES: tuple[str, ...] = (
    "Roundup: ", "Feature: ", "Interview: ", "Commentary: ", "China Focus: ", "Spotlight: ", "Update: ",
    "Xinhua Headlines: ", "2nd LD Writethru: ", "Writethru: ",
)

SUBHEADS: tuple[str, ...] = (
    "NEW OPPORTUNITIES", "CHALLENGES REMAIN", "A BRIGHTER FUTURE", "LOOKING AHEAD", "WIN-WIN COOPERATION",
    "FROM FIELD TO TABLE", "CHANGING LIVES", "ROAD TO RECOVERY", "MORE TO DO", "SHARED FUTURE",
)

PHOTO_CAPTIONS: tuple[str, ...] = (
    "People walk past a market in {city}, {country_plain}, {ap_date}, {year}.",
    "Photo taken on {ap_date}, {year} shows a view of {city}, {country_plain}.",
    "Workers are seen at a construction site in {city}, {country_plain}, on {ap_date}, {year}.",
    "A man wearing a face mask rides a bicycle in {city}, {country_plain}, {ap_date}, {year}.",
    "Visitors view exhibits in {city}, {country_plain}, on {ap_date}, {year}.",
    "Farmers harvest crops near {city}, {country_plain}, {ap_date}, {year}.",
    "Children play at a park in {city}, {country_plain}, {ap_date}, {year}.",
    "Rescuers work at the site in {city}, {country_plain}, on {ap_date}, {year}.",
)

ORDINALS: tuple[str, ...] = ("second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "10th", "20th", "30th", "50th")
DIRECTIONS: tuple[str, ...] = (
    "northern", "southern", "eastern", "western", "central", "northeastern", "southwestern", "northwestern", "southeastern",
)
ORGANISATION_ABBREVIATIONS: dict[str, str] = {
    "the United Nations": "UN",
    "the World Health Organization": "WHO",
    "the World Bank": "World Bank",
    "the International Monetary Fund": "IMF",
    "the African Union": "AU",
    "the European Union": "EU",
    "the Association of Southeast Asian Nations": "ASEAN",
    "the World Trade Organization": "WTO",
    "the Food and Agriculture Organization": "FAO",
    "the UN Children's Fund": "UNICEF",
    "the International Energy Agency": "IEA",
    "the Shanghai Cooperation Organisation": "SCO",
    "the Asian Development Bank": "ADB",
    "the UN Development Programme": "UNDP",
    "the International Labour Organization": "ILO",
    "the World Food Programme": "WFP",
    "the UN Environment Programme": "UNEP",
    "the Organisation for Economic Co-operation and Development": "OECD",
}
# Topic words a story keeps once chosen, so headline, lead and details agree.
STICKY_SLOTS = frozenset({
    "indicator", "driver", "quarter", "disease", "region", "disaster", "building", "crime",
    "sport", "sport_event", "tournament", "round", "league", "satellite_kind", "space_center",
    "discovery", "innovation", "finding", "journal", "facility", "monitor_target", "festival",
    "artifact", "exhibit_theme", "plant_kind", "crop", "law_subject", "index_name", "project",
    "progress_word", "product", "second_product", "sector", "sector2", "agency",
    "official_title", "stadium",
})
# Figures the headline and the lead share.
STICKY_FIGURES = frozenset({
    "n_small", "n_dozens", "n_hundreds", "n_thousands", "n_millions", "pct", "pct_small",
    "magnitude", "money", "money_short", "score", "tennis_score", "race_time", "index_points",
    "price", "gold_price",
})
