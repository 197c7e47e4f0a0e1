"""Name, street and place tables for the synthetic local authority.

Every name here is a common given name or surname, not anyone's record. Names are grouped by the
naming traditions found in an English city, so a household's names fit its recorded ethnicity, and
the variant table holds the nicknames and spellings that make record linkage hard (Pete/Peter,
Mo/Mohammed, Kasia/Katarzyna).
"""

from __future__ import annotations

# Naming traditions. A household draws its names from one (or, for mixed households, two).
ENGLISH = "english"
IRISH = "irish"
EAST_EUROPEAN = "east_european"
TURKISH = "turkish"
SOUTH_ASIAN_MUSLIM = "south_asian_muslim"
INDIAN = "indian"
WEST_AFRICAN = "west_african"
SOMALI = "somali"
CARIBBEAN = "caribbean"
CHINESE = "chinese"
OTHER = "other"


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


MALE: dict[str, tuple[str, ...]] = {
    ENGLISH: _words(
        """
        Oliver George Harry Jack Jacob Noah Charlie Thomas Oscar William James Leo Alfie
        Henry Joshua Freddie Archie Ethan Isaac Alexander Joseph Edward Samuel Max
        Daniel Arthur Logan Theo Harrison Benjamin Mason Sebastian Finley Adam Dylan
        Zachary Riley Teddy Michael Christopher Matthew Robert Richard David Andrew
        Anthony Steven Jonathan Nicholas Peter John Paul Mark Lee Craig Darren Jamie
        Ryan Liam Connor Callum Kieran Jordan Nathan Luke Tyler Kyle Stephen Timothy
        Gary Wayne Dean Jason Scott Frederick Charles Lewis Reuben Toby Elliot
        """
    ),
    IRISH: _words(
        """
        Sean Patrick Conor Cian Darragh Oisin Liam Niall Declan Aidan Ciaran Eoin
        Michael John James Kevin Brendan Ronan Padraig Thomas Daniel Fionn
        """
    ),
    EAST_EUROPEAN: _words(
        """
        Jakub Kacper Szymon Mateusz Piotr Tomasz Andrei Ionut Alexandru Mihai Marius
        Bogdan Lukas Dawid Krzysztof Marek Pawel Adrian Stefan Florin Oleksandr Dmytro
        """
    ),
    TURKISH: _words(
        """
        Mehmet Mustafa Emre Can Kerem Yusuf Ali Murat Hasan Ibrahim Omer Baran Deniz
        Eren Huseyin Kemal
        """
    ),
    SOUTH_ASIAN_MUSLIM: _words(
        """
        Mohammed Muhammad Ahmed Ali Hassan Hussain Ibrahim Yusuf Omar Bilal Imran Tariq
        Adnan Zain Ayaan Rayyan Hamza Abdul Shahid Asif Rahim Abdullah Ismail Zakaria
        Arham
        """
    ),
    INDIAN: _words(
        """
        Arjun Rohan Aarav Vihaan Krishna Raj Rajesh Sanjay Vikram Amit Harpreet Jaspal
        Sandeep Ravi Anil Deepak Arun Dev Kiran Nikhil Manpreet Gurdeep
        """
    ),
    WEST_AFRICAN: _words(
        """
        Chukwuemeka Oluwaseun Oluwatobi Olufemi Tunde Kwame Kofi Kwabena Samuel Daniel
        David Emmanuel Joshua Ayodele Chidi Ikenna Babatunde Kayode Nnamdi Joseph
        Michael Elijah Caleb
        """
    ),
    SOMALI: _words(
        """
        Abdi Mohamed Abdirahman Ahmed Abdullahi Hassan Yusuf Mahad Liban Hamza Ayub Said
        """
    ),
    CARIBBEAN: _words(
        """
        Jermaine Tyrone Marcus Dwayne Andre Kai Jayden Malachi Tyrese Isaiah Leon Devon
        Nathaniel Joshua Michael Daniel Anthony Kareem Rashid Trevor
        """
    ),
    CHINESE: _words(
        """
        Wei Jun Hao Ming Jian Kai Ethan Ryan Jason Tony
        """
    ),
    OTHER: _words(
        """
        Carlos Jose Luis Diego Mateo Ahmad Khalid Omar Kareem Joao Tiago Rafael Gabriel
        Samir Nabil
        """
    ),
}

FEMALE: dict[str, tuple[str, ...]] = {
    ENGLISH: _words(
        """
        Olivia Amelia Isla Ava Emily Sophia Grace Mia Poppy Ella Lily Evie Isabella
        Sophie Jessica Freya Charlotte Scarlett Daisy Chloe Ruby Florence Millie Matilda
        Alice Elizabeth Catherine Katherine Margaret Rebecca Victoria Samantha Jennifer
        Nicola Rachel Sarah Emma Laura Hannah Lauren Amy Gemma Kelly Stacey Danielle
        Natalie Zoe Abigail Megan Bethany Jade Leanne Michelle Lisa Claire Louise
        Kimberley Susan Deborah Jacqueline Alexandra Eleanor Harriet Josephine Jasmine
        Holly Chelsea Kayleigh Tracey Joanne
        """
    ),
    IRISH: _words(
        """
        Aoife Niamh Siobhan Ciara Roisin Sinead Orla Saoirse Aisling Mary Bridget
        Caoimhe Grainne Eimear Catherine Margaret
        """
    ),
    EAST_EUROPEAN: _words(
        """
        Zuzanna Julia Maja Natalia Aleksandra Anna Maria Ioana Elena Andreea Gabriela
        Agnieszka Katarzyna Magdalena Oliwia Wiktoria Malgorzata Olena Iryna Daria
        """
    ),
    TURKISH: _words(
        """
        Elif Zeynep Ayse Fatma Defne Ela Hatice Emine Meryem Esra Derya Sevgi
        """
    ),
    SOUTH_ASIAN_MUSLIM: _words(
        """
        Fatima Aisha Maryam Zara Amina Khadija Ayesha Hafsa Safiya Noor Sana Nadia
        Shabana Nasreen Rukhsana Farzana Yasmin Samina Hina Inaya Zainab Halima Sumaiya
        Tahmina
        """
    ),
    INDIAN: _words(
        """
        Priya Anjali Aanya Diya Kavya Simran Harleen Navjot Sunita Pooja Neha Meera Asha
        Lakshmi Rina Jasleen Parveen Anita
        """
    ),
    WEST_AFRICAN: _words(
        """
        Amara Chioma Ngozi Adaeze Folake Funmilayo Abena Akosua Ama Grace Blessing
        Precious Mercy Esther Deborah Faith Ifeoma Oluwakemi Temitope Comfort Abigail
        Joy
        """
    ),
    SOMALI: _words(
        """
        Hodan Hibo Fartun Ayaan Nasra Sahra Hawa Ifrah Khadra Amina Fadumo Halima
        """
    ),
    CARIBBEAN: _words(
        """
        Shanice Tia Jade Keisha Aaliyah Nia Amani Janelle Chantelle Tanisha Marcia
        Simone Jasmine Kezia Paulette Natasha
        """
    ),
    CHINESE: _words(
        """
        Mei Li Xin Ying Jing Hui Chloe Emily Grace Wendy
        """
    ),
    OTHER: _words(
        """
        Maria Ana Sofia Camila Lucia Layla Mariam Yasmin Beatriz Ines Leila Rania Salma
        Gabriela
        """
    ),
}

SURNAMES: dict[str, tuple[str, ...]] = {
    ENGLISH: _words(
        """
        Smith Jones Williams Taylor Brown Davies Evans Wilson Thomas Johnson Roberts
        Robinson Thompson Wright Walker White Edwards Hughes Green Hall Lewis Harris
        Clarke Jackson Wood Turner Martin Cooper Hill Ward Morris Moore Clark Lee King
        Baker Harrison Morgan Allen James Scott Phillips Watson Davis Parker Price
        Bennett Young Griffiths Mitchell Cook Carter Richardson Bailey Collins Bell Shaw
        Miller Cox Richards Marshall Anderson Simpson Ellis Adams Wilkinson Foster
        Chapman Powell Webb Rogers Gray Mason Hunt Matthews Owen Palmer Holmes Mills
        Barnes Knight Lloyd Butler Russell Barker Fisher Stevens Jenkins Dixon Harvey
        Graham Pearson Fletcher Gibson Howard Andrews Stewart Elliott Reynolds Saunders
        Payne Fox Ford Pearce Brooks West Lawrence Cole Atkinson Bradley Spencer Dawson
        Ball Burton Watts Rose Booth Perry Wells Armstrong Francis Hart Hudson Newman
        Barrett Webster Hunter Gregory Carr Lowe Page Marsh Riley Dunn Woods Parsons
        Berry Stone Holland Hawkins Porter Newton Oliver Reed Williamson Bird Gardner
        Dean Lane Cooke Bates Henderson Bishop Walton Burns Nicholson Shepherd Cross
        Freeman Warren Hamilton Sutton Yates Robson Curtis Hopkins Harper Coleman
        Watkins Chambers Griffin Sharp Hardy Wheeler Potter Osborne Gordon Wallace
        Hutchinson Reeves Fuller
        """
    ),
    IRISH: _words(
        """
        Murphy Kelly O'Sullivan Walsh O'Brien Byrne Ryan O'Connor O'Neill Doyle McCarthy
        Gallagher Doherty Kennedy Lynch Quinn McLoughlin Carroll Connolly Daly Dunne
        Brennan Fitzgerald McDonagh Reilly
        """
    ),
    EAST_EUROPEAN: _words(
        """
        Nowak Kowalski Wisniewski Wojcik Lewandowski Kaminski Zielinski Szymanski
        Wozniak Dabrowski Kozlowski Mazur Kowalczyk Popescu Ionescu Popa Dumitru Stan
        Constantin Shevchenko Kovalenko
        """
    ),
    TURKISH: _words(
        """
        Yilmaz Kaya Demir Celik Sahin Ozturk Aydin Arslan Dogan Kilic Yildiz Polat
        """
    ),
    SOUTH_ASIAN_MUSLIM: _words(
        """
        Khan Ahmed Hussain Ali Rahman Islam Miah Uddin Akhtar Iqbal Malik Shah Butt
        Chaudhry Mahmood Rashid Chowdhury Hoque Ahmad Aziz
        """
    ),
    INDIAN: _words(
        """
        Patel Singh Sharma Shah Kumar Gill Sandhu Sidhu Mistry Desai Joshi Mehta Chauhan
        Parmar Bhatt Pillai Nair
        """
    ),
    WEST_AFRICAN: _words(
        """
        Okafor Okonkwo Adeyemi Oluwole Adebayo Mensah Boateng Owusu Asante Osei Nwosu
        Eze Obi Olaniyan Adeleke Ogunleye Agyeman Appiah Ibekwe Okoro
        """
    ),
    SOMALI: _words(
        """
        Mohamed Ali Hassan Warsame Farah Abdi Osman Ahmed Jama Nur Yusuf Ismail
        """
    ),
    CARIBBEAN: _words(
        """
        Campbell Brown Williams Thomas Grant Clarke Francis Reid Henry Gordon Thompson
        Robinson Johnson Morgan Lewis Bailey Gayle Forbes McKenzie Samuels
        """
    ),
    CHINESE: _words(
        """
        Wang Li Zhang Chen Liu Wong Chan Lee Lam Cheung Ho Ng
        """
    ),
    OTHER: _words(
        """
        Garcia Rodriguez Silva Santos Fernandes Costa Ferreira Pereira Haddad Nasser
        Saleh Mansour Reyes Cruz Oliveira Martins
        """
    ),
}

# Variant groups: every name in a group may be recorded for any other. The first is the formal
# form. More than sixty groups; they cover the names above that practitioners shorten or spell
# in more than one way, including anglicised forms agencies write down.
VARIANT_GROUPS: tuple[tuple[str, ...], ...] = (
    ("William", "Will", "Bill", "Billy", "Liam", "Willie"),
    ("Robert", "Rob", "Bob", "Bobby", "Robbie"),
    ("Richard", "Rich", "Rick", "Ricky", "Richie"),
    ("James", "Jim", "Jimmy", "Jamie"),
    ("John", "Johnny", "Jack", "Jon"),
    ("Jonathan", "Jon", "Jonny", "Jonathon", "Johnathan"),
    ("Peter", "Pete"),
    ("Michael", "Mike", "Mick", "Mickey", "Micheal"),
    ("Christopher", "Chris", "Kit", "Christoper"),
    ("Matthew", "Matt", "Mathew", "Matty"),
    ("Thomas", "Tom", "Tommy"),
    ("Joseph", "Joe", "Joey"),
    ("Daniel", "Dan", "Danny"),
    ("David", "Dave", "Davey"),
    ("Andrew", "Andy", "Drew"),
    ("Anthony", "Tony", "Antony"),
    ("Steven", "Steve", "Stephen", "Stevie"),
    ("Stephen", "Steve", "Steven"),
    ("Nicholas", "Nick", "Nicky", "Nicolas"),
    ("Benjamin", "Ben", "Benny", "Benji"),
    ("Samuel", "Sam", "Sammy"),
    ("Alexander", "Alex", "Alec", "Xander"),
    ("Edward", "Ed", "Eddie", "Ted", "Ned"),
    ("Henry", "Harry", "Hal"),
    ("Charles", "Charlie", "Chas"),
    ("Frederick", "Fred", "Freddie", "Freddy"),
    ("Alfie", "Alfred", "Alf"),
    ("Archie", "Archibald"),
    ("Theo", "Theodore", "Teddy"),
    ("Joshua", "Josh"),
    ("Nathan", "Nate", "Nathaniel"),
    ("Zachary", "Zach", "Zack", "Zak"),
    ("Timothy", "Tim", "Timmy"),
    ("Patrick", "Pat", "Paddy"),
    ("Oliver", "Ollie", "Olly"),
    ("Jacob", "Jake"),
    ("Sebastian", "Seb"),
    ("Gabriel", "Gabe"),
    ("Callum", "Calum"),
    ("Connor", "Conor"),
    ("Sean", "Shaun", "Shawn"),
    ("Mohammed", "Muhammad", "Mohammad", "Mohamed", "Mohamad", "Muhammed", "Mo", "Mohd"),
    ("Yusuf", "Yousuf", "Yusef", "Yousef"),
    ("Ibrahim", "Ebrahim", "Ibraheem"),
    ("Hussain", "Hussein", "Husain"),
    ("Ahmed", "Ahmad", "Ahmet"),
    ("Abdullahi", "Abdullah", "Abdalla"),
    ("Oluwaseun", "Seun"),
    ("Oluwatobi", "Tobi"),
    ("Olufemi", "Femi"),
    ("Chukwuemeka", "Emeka"),
    ("Babatunde", "Tunde"),
    ("Ayodele", "Ayo"),
    ("Piotr", "Peter"),
    ("Jakub", "Kuba", "Jacob"),
    ("Tomasz", "Tomek", "Tom"),
    ("Krzysztof", "Chris", "Krzys"),
    ("Pawel", "Paul"),
    ("Alexandru", "Alex"),
    ("Oleksandr", "Sasha", "Alexander"),
    ("Mehmet", "Memet"),
    ("Huseyin", "Hussein"),
    ("Elizabeth", "Liz", "Lizzie", "Beth", "Betty", "Eliza", "Elisabeth", "Libby"),
    ("Catherine", "Kate", "Cathy", "Katie", "Cath", "Kathryn", "Katherine"),
    ("Katherine", "Kate", "Kathy", "Katie", "Kat", "Kathryn", "Catherine"),
    ("Margaret", "Maggie", "Meg", "Peggy", "Margot"),
    ("Rebecca", "Becky", "Becca", "Rebekah"),
    ("Victoria", "Vicky", "Tori", "Vikki"),
    ("Samantha", "Sam", "Sammy"),
    ("Jennifer", "Jen", "Jenny", "Jenni"),
    ("Nicola", "Nicky", "Nikki"),
    ("Alexandra", "Alex", "Alexa", "Lexi", "Sandra"),
    ("Abigail", "Abi", "Abby", "Abbie"),
    ("Jessica", "Jess", "Jessie"),
    ("Charlotte", "Charlie", "Lottie"),
    ("Eleanor", "Ellie", "Nell", "Elinor"),
    ("Isabella", "Bella", "Izzy", "Isabelle"),
    ("Olivia", "Liv", "Livvy"),
    ("Amelia", "Millie", "Mia"),
    ("Emily", "Em", "Emmy"),
    ("Florence", "Flo", "Florrie"),
    ("Josephine", "Jo", "Josie"),
    ("Matilda", "Tilly", "Tilda"),
    ("Sophia", "Sophie", "Sofia"),
    ("Susan", "Sue", "Susie"),
    ("Deborah", "Debbie", "Debra", "Deb"),
    ("Jacqueline", "Jackie", "Jacquie"),
    ("Kimberley", "Kim", "Kimberly"),
    ("Danielle", "Dani"),
    ("Natalie", "Nat", "Nathalie"),
    ("Gemma", "Jemma"),
    ("Stacey", "Stacy"),
    ("Leanne", "Leann", "Lee-Ann"),
    ("Sarah", "Sara"),
    ("Hannah", "Hanna"),
    ("Rachel", "Rachael"),
    ("Louise", "Lou", "Louisa"),
    ("Claire", "Clare"),
    ("Kayleigh", "Kayley", "Kaylee"),
    ("Tracey", "Tracy"),
    ("Joanne", "Jo", "Joanna"),
    ("Fatima", "Fatimah", "Fatma"),
    ("Aisha", "Ayesha", "Aysha", "Aishah"),
    ("Maryam", "Mariam", "Miriam"),
    ("Khadija", "Khadijah", "Khadeeja"),
    ("Amina", "Aminah", "Ameena"),
    ("Zainab", "Zaynab"),
    ("Funmilayo", "Funmi"),
    ("Adaeze", "Ada"),
    ("Temitope", "Tope", "Temi"),
    ("Oluwakemi", "Kemi"),
    ("Katarzyna", "Kasia", "Kate"),
    ("Malgorzata", "Gosia", "Margaret"),
    ("Aleksandra", "Ola", "Alex"),
    ("Wiktoria", "Victoria"),
    ("Ioana", "Joanna"),
    ("Grace", "Gracie"),
    ("Siobhan", "Shevaun", "Chevonne"),
    ("Niamh", "Neve", "Neave"),
)


def _variant_index() -> dict[str, frozenset[str]]:
    # A name belongs to every group it appears in (Jon is both John's and Jonathan's).
    index: dict[str, set[str]] = {}
    for group in VARIANT_GROUPS:
        for name in group:
            index.setdefault(name, set()).update(n for n in group if n != name)
    return {name: frozenset(others) for name, others in index.items()}


VARIANTS: dict[str, frozenset[str]] = _variant_index()


def variants_of(name: str) -> frozenset[str]:
    """Other forms of a given name an agency might record; empty when there are none."""
    return VARIANTS.get(name, frozenset())


STREET_STEMS: tuple[str, ...] = (
    "Acacia",
    "Albert",
    "Alexandra",
    "Ambrose",
    "Arcadian",
    "Ashfield",
    "Beaconsfield",
    "Belmont",
    "Birkbeck",
    "Blenheim",
    "Bradley",
    "Broadwater",
    "Bruce",
    "Carlingford",
    "Cedar",
    "Chesnut",
    "Church",
    "Clarendon",
    "Clyde",
    "Colwick",
    "Compton",
    "Coniston",
    "Culvert",
    "Dagmar",
    "Downhills",
    "Dunloe",
    "Elmhurst",
    "Fairbourne",
    "Falkland",
    "Ferndale",
    "Gladesmore",
    "Glendale",
    "Granville",
    "Greenfield",
    "Grove",
    "Hampden",
    "Harcourt",
    "Hawthorn",
    "Hermitage",
    "Higham",
    "Holcombe",
    "Kenmare",
    "Keston",
    "Kitchener",
    "Lansdowne",
    "Larkspur",
    "Lealand",
    "Lordship",
    "Mafeking",
    "Malvern",
    "Manor",
    "Maple",
    "Marcus",
    "Merton",
    "Mount Pleasant",
    "Napier",
    "Norfolk",
    "Northumberland",
    "Orchard",
    "Palmerston",
    "Park",
    "Philip",
    "Pretoria",
    "Queen",
    "Radley",
    "Rosebery",
    "Ruskin",
    "St Ann's",
    "St Loy's",
    "Seaford",
    "Seymour",
    "Somerset",
    "Stanley",
    "Sutherland",
    "Tenterden",
    "Tower",
    "Tynemouth",
    "Victoria",
    "Waltheof",
    "Warham",
    "Welbourne",
    "Westbury",
    "Whitehall",
    "Willoughby",
    "Winchelsea",
    "Woodlands",
    "Wycombe",
)
STREET_SUFFIXES: tuple[str, ...] = (
    "Road",
    "Road",
    "Road",
    "Street",
    "Avenue",
    "Gardens",
    "Close",
    "Lane",
    "Grove",
    "Crescent",
    "Way",
    "Terrace",
    "Place",
    "Drive",
)
BLOCK_NAMES: tuple[str, ...] = (
    "Kestrel House",
    "Heron Court",
    "Tiverton Court",
    "Lindisfarne House",
    "Chestnut Court",
    "Stellar House",
    "Brunel Court",
    "Partridge House",
    "Moselle House",
    "Northolt House",
    "Ashley Court",
    "Lordship Court",
    "Millicent Fawcett Court",
    "Charlton House",
)

# The local authority's own postcode districts (most households) and its neighbours' (moves out).
LA_DISTRICTS: tuple[tuple[str, int], ...] = (
    ("N15", 20),
    ("N17", 22),
    ("N22", 14),
    ("N8", 10),
    ("N4", 8),
    ("N10", 7),
    ("N6", 4),
    ("N11", 3),
)
NEIGHBOUR_DISTRICTS: tuple[tuple[str, str], ...] = (
    ("N9", "London"),
    ("N18", "London"),
    ("N16", "London"),
    ("E17", "London"),
    ("EN1", "Enfield"),
    ("EN3", "Enfield"),
    ("N13", "London"),
    ("E5", "London"),
)
# Letters used in the inward part of a postcode (C, I, K, M, O and V are never used there).
INWARD_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"
