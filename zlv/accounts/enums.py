from django.db import models


class Role(models.TextChoices):
    USUAL = "usual", "Utilisateur"
    ADMIN = "admin", "Administrateur"
    VISITOR = "visitor", "Visiteur (lecture seule)"


class EstablishmentKind(models.TextChoices):
    ARR = "ARR", "Arrondissement"
    CA = "CA", "Communauté d'Agglomération"
    CC = "CC", "Communauté de Communes"
    COM = "COM", "Commune"
    COM_TOM = "COM-TOM", "Commune d'Outre-Mer"
    CTU = "CTU", "Collectivité Territoriale Unique"
    CU = "CU", "Communauté Urbaine"
    DEP = "DEP", "Département"
    EPT = "EPT", "Établissement Public Territorial"
    METRO = "METRO", "Métropole"
    PETR = "PETR", "Pôle d'Équilibre Territorial et Rural"
    REG = "REG", "Région"
    SDED = "SDED", "Service déconcentré de l'État (inter)départemental"
    SDER = "SDER", "Service déconcentré de l'État (inter)régional"
    SIVOM = "SIVOM", "SIVOM"
    TOM = "TOM", "Collectivité d'Outre-Mer"
