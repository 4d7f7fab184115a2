namespace CareCoordination.Common;

/// <summary>Life domains in which a person may have needs, goals, referrals and enrollments.</summary>
public enum NeedDomain
{
    Unspecified = 0,
    Housing = 1,
    Employment = 2,
    Income = 3,
    Health = 4,
    MentalHealth = 5,
    Education = 6,
    Language = 7,
    LegalStatus = 8,
    SocialConnections = 9,
    DailyLiving = 10,
    Safety = 11,
}

/// <summary>Circumstances that shape how a person is accompanied (not a diagnosis; special-category data).</summary>
public enum Circumstance
{
    Unspecified = 0,
    Migration = 1,
    Asylum = 2,
    Homelessness = 3,
    Disability = 4,
    Poverty = 5,
    GenderViolence = 6,
    OlderPersonAlone = 7,
}

public enum ConsentScope
{
    Unspecified = 0,
    CareTeam = 1,
    ReferredPrograms = 2,
    AcrossOrganisations = 3,
}

public enum RiskLevel
{
    Standard = 0,
    High = 1,
}

public enum WorkerRole
{
    Unspecified = 0,
    CaseManager = 1,
    SocialWorker = 2,
    Integrator = 3,
    Mediator = 4,
    JobCoach = 5,
    PeerMentor = 6,
    TeamLead = 7,
}

public enum GoalStatus
{
    Unspecified = 0,
    NotStarted = 1,
    InProgress = 2,
    Achieved = 3,
    Abandoned = 4,
}

/// <summary>Closed-loop referral: Sent → Accepted/Declined → Enrolled → Completed, or Cancelled.</summary>
public enum ReferralStatus
{
    Unspecified = 0,
    Sent = 1,
    Accepted = 2,
    Declined = 3,
    Enrolled = 4,
    Completed = 5,
    Cancelled = 6,
    Waitlisted = 7,
}

public enum AppointmentStatus
{
    Unspecified = 0,
    Scheduled = 1,
    Attended = 2,
    Missed = 3,
    Cancelled = 4,
}

public enum ContactKind
{
    Unspecified = 0,
    InPerson = 1,
    Phone = 2,
    HomeVisit = 3,
    Video = 4,
    Message = 5,
}

public enum ProgramKind
{
    Unspecified = 0,
    AssistanceAndGuidance = 1,
    InclusionService = 2,
    SocialMediation = 3,
    SupportedEmployment = 4,
    PeerMentorship = 5,
    RespiteCare = 6,
    IndependentLivingSkills = 7,
    LanguageClasses = 8,
    HousingFirst = 9,
    Other = 10,
}
